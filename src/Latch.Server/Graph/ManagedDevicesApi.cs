using System.Security.Claims;
using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Core.Users;
using Latch.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary>
/// <c>managedDevices</c> shaped like Microsoft Graph's Intune endpoints
/// (https://learn.microsoft.com/graph/api/resources/intune-devices-manageddevice), in three scopes:
/// every device (<c>/deviceManagement</c>), one user's (<c>/users/{id or userPrincipalName}</c>) and the caller's own (<c>/me</c>).
/// A device outside the scope is answered as not found.
/// </summary>
public static class ManagedDevicesApi
{
    /// <summary>Set to <c>true</c> on a passcode reset to say the caller knows the device is marked lost (Graph's action has no body).</summary>
    public const string LostDeviceConfirmedHeader = "Latch-Lost-Device-Confirmed";

    /// <summary>Which devices a route may see: all of them, or one owner's. Null when the owner does not resolve.</summary>
    private delegate Task<OwnerScope?> ScopeResolver(HttpContext http, LatchDbContext db);

    private sealed record OwnerScope(Guid? OwnerId)
    {
        public IQueryable<Device> Devices(LatchDbContext db) =>
            OwnerId is { } owner ? db.Devices.Where(d => d.OwnerId == owner) : db.Devices;
    }

    public static void MapManagedDevices(this IEndpointRouteBuilder app)
    {
        var everyDevice = app.MapGroup("/v1.0/deviceManagement/managedDevices").RequireAuthorization(Policies.Read);
        everyDevice.MapPost("/executeAction", ExecuteActionAsync).RequireAuthorization(Policies.RemoteActions);
        app.MapActionRequests();
        MapDeviceRoutes(everyDevice, (_, _) => Task.FromResult<OwnerScope?>(new OwnerScope(null)), "deviceManagement/managedDevices");
        MapDeviceRoutes(app.MapGroup("/v1.0/users/{user}/managedDevices").RequireAuthorization(Policies.Read), UserScopeAsync, "users('{0}')/managedDevices");
        MapDeviceRoutes(app.MapGroup("/v1.0/me/managedDevices").RequireAuthorization(Policies.Read), MeScopeAsync, "users('{0}')/managedDevices");
    }

    private static void MapDeviceRoutes(RouteGroupBuilder group, ScopeResolver scope, string context)
    {
        group.MapGet("/", (HttpContext http, LatchDbContext db, DeviceActions actions) => ListAsync(http, db, scope, context));
        group.MapGet("/{id}", (string id, HttpContext http, LatchDbContext db, DeviceActions actions) => GetAsync(id, http, db, actions, scope));
        group.MapPost("/{id}/remoteLock", (string id, HttpContext http, LatchDbContext db, DeviceActions actions) =>
            RequestAsync(RemoteAction.RemoteLock, id, http, db, actions, scope)).RequireAuthorization(Policies.RemoteActions);
        group.MapPost("/{id}/resetPasscode", (string id, HttpContext http, LatchDbContext db, DeviceActions actions) =>
            RequestAsync(RemoteAction.ResetPasscode, id, http, db, actions, scope)).RequireAuthorization(Policies.RemoteActions);
    }

    private static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> ListAsync(
        HttpContext http, LatchDbContext db, ScopeResolver resolve, string context)
    {
        if (await resolve(http, db) is not { } scope) return TypedResults.NotFound(UnknownUser(http));
        var result = await GraphList.PageAsync(http, scope.Devices(db).AsNoTracking().Include(d => d.Owner), GraphModels.ManagedDevice, d => d.Id,
            devices => Task.FromResult<IReadOnlyList<ManagedDeviceResource>>(devices.Select(d => ManagedDeviceResource.From(d, d.Owner)).ToList()),
            string.Format(System.Globalization.CultureInfo.InvariantCulture, context, scope.OwnerId));
        return result.Result switch
        {
            ContentHttpResult ok => ok,
            BadRequest<GraphErrorBody> bad => bad,
            _ => throw new InvalidOperationException("Unexpected list result."),
        };
    }

    private static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> GetAsync(
        string id, HttpContext http, LatchDbContext db, DeviceActions actions, ScopeResolver resolve)
    {
        if (GraphList.SingleEntityOptions(http, GraphModels.ManagedDevice, out var select) is { } badOptions) return badOptions;
        if (await resolve(http, db) is not { } scope) return TypedResults.NotFound(UnknownUser(http));
        if (!Guid.TryParse(id, out var deviceId)) return TypedResults.BadRequest(InvalidId(id));
        var device = await scope.Devices(db).AsNoTracking().Include(d => d.Owner).FirstOrDefaultAsync(d => d.Id == deviceId, http.RequestAborted);
        if (device is null) return TypedResults.NotFound(NotFound(id));

        var results = new List<DeviceActionResultResource>();
        if (select is null || select.Contains("deviceActionResults"))
        {
            var mayReveal = http.User.IsInRole(nameof(AdminRole.Administrator)) || http.User.IsInRole(nameof(AdminRole.HelpDeskOperator));
            foreach (var action in await actions.LatestForDeviceAsync(deviceId, http.RequestAborted))
            {
                // Each reveal is audited, so the passcode is decrypted only for a caller allowed to see it (and who asked for it).
                var passcode = mayReveal && action.ProtectedPasscode is not null
                    ? await actions.RevealPasscodeAsync(action.Id, Actor(http), http.RequestAborted)
                    : null;
                results.Add(DeviceActionResultResource.From(action, passcode));
            }
        }
        return GraphList.Json(ManagedDeviceResource.From(device, device.Owner, results) with
        {
            ODataContext = $"{GraphList.BaseUrl(http)}/v1.0/$metadata#deviceManagement/managedDevices/$entity",
        }, select);
    }

    private static async Task<Results<NoContent, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> RequestAsync(
        RemoteAction action, string id, HttpContext http, LatchDbContext db, DeviceActions actions, ScopeResolver resolve)
    {
        if (await resolve(http, db) is not { } scope) return TypedResults.NotFound(UnknownUser(http));
        if (!Guid.TryParse(id, out var deviceId)) return TypedResults.BadRequest(InvalidId(id));
        if (scope.OwnerId is not null && !await scope.Devices(db).AnyAsync(d => d.Id == deviceId, http.RequestAborted))
            return TypedResults.NotFound(NotFound(id));
        var lostConfirmed = string.Equals(http.Request.Headers[LostDeviceConfirmedHeader], "true", StringComparison.OrdinalIgnoreCase);

        BulkActionOutcome outcome;
        try
        {
            outcome = await actions.RequestAsync(
                new ActionRequestInput(action, [deviceId], Actor(http), lostConfirmed, IdempotencyKey(http)), http.RequestAborted);
        }
        catch (ActionRequestException error)
        {
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message));
        }
        if (outcome.NotFound.Count > 0) return TypedResults.NotFound(NotFound(id));
        if (outcome.NotSupported is [var refused, ..])
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.NotSupported, refused.Reason));
        // Queued now, or already in flight: either way the device will get exactly one.
        return TypedResults.NoContent();
    }

    /// <summary>
    /// One request, many devices (Graph's bulk <c>executeAction</c>), with no cap on how many. Every device gets its own
    /// outcome; the lists say which were queued (or already in flight), refused by the rules (with reasons), or unknown.
    /// </summary>
    private static async Task<Results<Ok<BulkActionResultResource>, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> ExecuteActionAsync(
        HttpContext http, LatchDbContext db, DeviceActions actions, GroupDirectory groups)
    {
        var (body, invalid) = await GraphRequestBody.ReadAsync<ExecuteActionRequest>(http);
        if (invalid is not null) return invalid;

        if (ActionRequestsApi.ParseAction(body!.ActionName) is not { } action)
            return TypedResults.BadRequest(ActionRequestsApi.UnknownAction(body.ActionName));
        var selection = await ActionRequestsApi.SelectAsync(body, db, groups, http.RequestAborted);
        if (selection.Bad is { } bad) return bad;
        if (selection.Missing is { } missing) return missing;
        var deviceIds = selection.DeviceIds ?? await selection.Devices!.Select(d => d.Id).ToListAsync(http.RequestAborted);

        try
        {
            var outcome = await actions.RequestAsync(
                new ActionRequestInput(action, deviceIds, Actor(http), body.LostDeviceConfirmed ?? false, IdempotencyKey(http)), http.RequestAborted);
            return TypedResults.Ok(BulkActionResultResource.From(outcome));
        }
        catch (ActionRequestException error)
        {
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message));
        }
    }

    private static async Task<OwnerScope?> UserScopeAsync(HttpContext http, LatchDbContext db) =>
        await UsersApi.FindUserAsync(db, http.Request.RouteValues["user"] as string ?? "", http.RequestAborted) is { } user
            ? new OwnerScope(user.Id) : null;

    private static async Task<OwnerScope?> MeScopeAsync(HttpContext http, LatchDbContext db) =>
        await UsersApi.MeAsync(http, db) is { } user ? new OwnerScope(user.Id) : null;

    // A client's retry of the same request with the same key changes nothing and gets the first answer.
    private static string? IdempotencyKey(HttpContext http) =>
        http.Request.Headers["Idempotency-Key"] is [{ } key] ? key : null;

    internal static string Actor(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? "unknown";

    private static GraphErrorBody UnknownUser(HttpContext http) => http.Request.RouteValues.TryGetValue("user", out var user)
        ? GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no user '{user}'.")
        : UsersApi.NotAUser(http);

    private static GraphErrorBody InvalidId(string id) =>
        GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"'{id}' is not a valid managedDevice id (a GUID).");

    private static GraphErrorBody NotFound(string id) =>
        GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no managedDevice with id '{id}'.");
}
