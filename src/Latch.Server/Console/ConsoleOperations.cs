using System.Security.Claims;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Server.Auth;
using Microsoft.AspNetCore.Authorization;

namespace Latch.Server.Console;

/// <summary>Refused because the signed-in account's role does not allow it; the message says so in the console's words.</summary>
public sealed class ConsoleAccessDeniedException(string message) : Exception(message);

/// <summary>
/// Everything the console changes goes through here, and each call checks the signed-in account's role again on the
/// server (the console hides what a role may not do, but a hidden button is not a control): a Read Only account that
/// forges a remote task is refused and the refusal is audited, as the API refuses a 403.
/// </summary>
public sealed class ConsoleOperations(IServiceScopeFactory scopes, IAuthorizationService authorization, DeviceListing listing)
{
    /// <summary>Sends the remote task to the previewed devices as one bulk request, with the account as requester.</summary>
    public async Task<BulkActionOutcome> RequestAsync(ClaimsPrincipal user, RemoteAction action, ActionPreviewResult preview,
        bool lostDeviceConfirmed, CancellationToken cancellationToken = default)
    {
        await DemandAsync(user, Policies.RemoteActions, $"{Describe(action)} for {preview.DeviceIds.Count} device(s)", cancellationToken);
        if (preview.Action != action) throw new ActionRequestException("The confirmation was for another remote task; start again.");
        if (preview.DeviceIds.Count == 0) throw new ActionRequestException("None of the selected devices exist any more.");

        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeviceActions>().RequestAsync(
            new ActionRequestInput(action, preview.DeviceIds, Actor(user), lostDeviceConfirmed), cancellationToken);
    }

    /// <summary>The preview behind the confirmation; refused up front for a role that may not send the task anyway.</summary>
    public async Task<ActionPreviewResult> PreviewAsync(ClaimsPrincipal user, RemoteAction action, DeviceSelection selection,
        CancellationToken cancellationToken = default)
    {
        await DemandAsync(user, Policies.RemoteActions, $"preview of {Describe(action)}", cancellationToken);
        return await listing.PreviewAsync(action, selection, cancellationToken);
    }

    /// <summary>Decrypts a temporary passcode for the account; DeviceActions audits the reveal.</summary>
    public async Task<string?> RevealPasscodeAsync(ClaimsPrincipal user, Guid actionId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(user, Policies.RemoteActions, $"reveal of the temporary passcode of action {actionId}", cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeviceActions>().RevealPasscodeAsync(actionId, Actor(user), cancellationToken);
    }

    public async Task CancelAsync(ClaimsPrincipal user, Guid actionId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(user, Policies.RemoteActions, $"cancel of action {actionId}", cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeviceActions>().CancelAsync(actionId, Actor(user), cancellationToken);
    }

    public async Task<bool> MarkLostAsync(ClaimsPrincipal user, Guid deviceId, bool lost, CancellationToken cancellationToken = default)
    {
        await DemandAsync(user, Policies.RemoteActions, $"{(lost ? "marking" : "unmarking")} device {deviceId} as lost", cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LostDevices>().MarkAsync(deviceId, lost, Actor(user), cancellationToken);
    }

    public async Task<bool> MayRunRemoteTasksAsync(ClaimsPrincipal user) =>
        (await authorization.AuthorizeAsync(user, Policies.RemoteActions)).Succeeded;

    public static string Actor(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Name) ?? "unknown";

    public static string Describe(RemoteAction action) => action == RemoteAction.RemoteLock ? "Remote Lock" : "Passcode Reset";

    private async Task DemandAsync(ClaimsPrincipal user, string policy, string what, CancellationToken cancellationToken)
    {
        if (user.Identity?.IsAuthenticated == true && (await authorization.AuthorizeAsync(user, policy)).Succeeded) return;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        db.AuditEvents.Add(new AuditEvent
        {
            At = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow(),
            Actor = user.Identity?.IsAuthenticated == true ? Actor(user) : "anonymous",
            Kind = AuditKinds.RequestDenied,
            Detail = $"403 console: {what} refused for role {user.FindFirstValue(ClaimTypes.Role) ?? "none"}.",
        });
        await db.SaveChangesAsync(cancellationToken);
        throw new ConsoleAccessDeniedException("Your role does not allow this. Ask an Administrator or a Help Desk Operator.");
    }
}
