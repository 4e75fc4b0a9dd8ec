using System.Security.Claims;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Rules;
using Latch.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary>
/// <c>/v1.0/deviceManagement/managedDevices</c>, shaped like Microsoft Graph's Intune endpoints
/// (https://learn.microsoft.com/graph/api/resources/intune-devices-manageddevice).
/// </summary>
public static class ManagedDevicesApi
{
    /// <summary>Set to <c>true</c> on a passcode reset to say the caller knows the device is marked lost (Graph's action has no body).</summary>
    public const string LostDeviceConfirmedHeader = "Latch-Lost-Device-Confirmed";

    public static RouteGroupBuilder MapManagedDevices(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1.0/deviceManagement/managedDevices").RequireAuthorization(Policies.Read);
        api.MapGet("/{id}", GetAsync);
        api.MapPost("/{id}/remoteLock", (string id, HttpContext http, DeviceActions actions) =>
            RequestAsync(RemoteAction.RemoteLock, id, http, actions)).RequireAuthorization(Policies.RemoteActions);
        api.MapPost("/{id}/resetPasscode", (string id, HttpContext http, DeviceActions actions) =>
            RequestAsync(RemoteAction.ResetPasscode, id, http, actions)).RequireAuthorization(Policies.RemoteActions);
        return api;
    }

    private static async Task<Results<Ok<ManagedDeviceResource>, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> GetAsync(
        string id, HttpContext http, LatchDbContext db, DeviceActions actions, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var deviceId)) return TypedResults.BadRequest(InvalidId(id));
        var device = await db.Devices.AsNoTracking().Include(d => d.Owner).FirstOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null) return TypedResults.NotFound(NotFound(id));

        var mayReveal = http.User.IsInRole(nameof(Latch.Core.Access.AdminRole.Administrator))
            || http.User.IsInRole(nameof(Latch.Core.Access.AdminRole.HelpDeskOperator));
        var results = new List<DeviceActionResultResource>();
        foreach (var action in await actions.LatestForDeviceAsync(deviceId, cancellationToken))
        {
            // Each reveal is audited, so the passcode is decrypted only for a caller allowed to see it.
            var passcode = mayReveal && action.ProtectedPasscode is not null
                ? await actions.RevealPasscodeAsync(action.Id, Actor(http), cancellationToken)
                : null;
            results.Add(DeviceActionResultResource.From(action, passcode));
        }
        return TypedResults.Ok(ManagedDeviceResource.From(device, device.Owner, results) with
        {
            ODataContext = $"{http.Request.Scheme}://{http.Request.Host}/v1.0/$metadata#deviceManagement/managedDevices/$entity",
        });
    }

    private static async Task<Results<NoContent, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> RequestAsync(
        RemoteAction action, string id, HttpContext http, DeviceActions actions)
    {
        if (!Guid.TryParse(id, out var deviceId)) return TypedResults.BadRequest(InvalidId(id));
        var lostConfirmed = string.Equals(http.Request.Headers[LostDeviceConfirmedHeader], "true", StringComparison.OrdinalIgnoreCase);

        var outcome = await actions.RequestAsync(new ActionRequestInput(action, [deviceId], Actor(http), lostConfirmed), http.RequestAborted);
        if (outcome.NotFound.Count > 0) return TypedResults.NotFound(NotFound(id));
        if (outcome.NotSupported is [var refused, ..])
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.NotSupported, refused.Reason));
        // Queued now, or already in flight: either way the device will get exactly one.
        return TypedResults.NoContent();
    }

    private static string Actor(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown";

    private static GraphErrorBody InvalidId(string id) =>
        GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"'{id}' is not a valid managedDevice id (a GUID).");

    private static GraphErrorBody NotFound(string id) =>
        GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no managedDevice with id '{id}'.");
}
