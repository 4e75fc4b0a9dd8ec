using System.Text.Json.Serialization;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Server.Auth;
using Latch.Server.Graph.OData;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary>
/// What the CLI (and any script) needs around a bulk request, as Latch additions beside Graph's <c>executeAction</c>:
/// the eligibility preview of a selection (writes nothing; the console's confirmation uses the same
/// <see cref="ActionPreview"/>), the request resource with its counts per state (the console's request page uses the
/// same <see cref="DeviceActions.CountsAsync"/>), its devices' actions paged, and cancel of its pending actions.
/// </summary>
public static class ActionRequestsApi
{
    public static void MapActionRequests(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1.0/deviceManagement/managedDevices/previewAction", PreviewAsync).RequireAuthorization(Policies.RemoteActions);
        var requests = app.MapGroup("/v1.0/deviceManagement/actionRequests").RequireAuthorization(Policies.Read);
        requests.MapGet("/{id:guid}", GetAsync);
        requests.MapGet("/{id:guid}/deviceActions", DeviceActionsAsync);
        requests.MapPost("/{id:guid}/cancel", CancelAsync).RequireAuthorization(Policies.RemoteActions);
    }

    private static async Task<Results<Ok<ActionPreviewResource>, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> PreviewAsync(
        HttpContext http, LatchDbContext db, GroupDirectory groups, ActionPreview preview)
    {
        var (body, invalid) = await GraphRequestBody.ReadAsync<ExecuteActionRequest>(http);
        if (invalid is not null) return invalid;
        if (ParseAction(body!.ActionName) is not { } action) return TypedResults.BadRequest(UnknownAction(body.ActionName));
        var selection = await SelectAsync(body, db, groups, http.RequestAborted);
        if (selection.Bad is { } bad) return bad;
        if (selection.Missing is { } missing) return missing;
        var result = selection.DeviceIds is { } ids
            ? await preview.PreviewAsync(action, ids, http.RequestAborted)
            : await preview.PreviewAsync(action, selection.Devices!, http.RequestAborted);
        return TypedResults.Ok(ActionPreviewResource.From(result));
    }

    private static async Task<Results<Ok<ActionRequestResource>, NotFound<GraphErrorBody>>> GetAsync(
        Guid id, LatchDbContext db, DeviceActions actions, CancellationToken cancellationToken)
    {
        var request = await db.ActionRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (request is null) return TypedResults.NotFound(NoRequest(id));
        var counts = await actions.CountsAsync(id, cancellationToken);
        return TypedResults.Ok(ActionRequestResource.From(request, counts));
    }

    private static readonly ODataModel<DeviceAction> DeviceActionModel = new ODataModel<DeviceAction>()
        .Guid("id", a => a.Id)
        .Guid("deviceId", a => a.DeviceId)
        .String("state", a => a.State == DeviceActionState.NotSupported ? "notSupported"
            : a.State == DeviceActionState.Pending ? "pending"
            : a.State == DeviceActionState.Active ? "active"
            : a.State == DeviceActionState.Done ? "done"
            : a.State == DeviceActionState.Failed ? "failed" : "canceled")
        .DateTime("lastUpdatedDateTime", a => a.LastUpdatedAt, sortable: true)
        .Selectable("id", "deviceId", "deviceName", "state", "reason", "lastUpdatedDateTime");

    private static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>, NotFound<GraphErrorBody>>> DeviceActionsAsync(
        Guid id, HttpContext http, LatchDbContext db)
    {
        if (!await db.ActionRequests.AnyAsync(r => r.Id == id, http.RequestAborted)) return TypedResults.NotFound(NoRequest(id));
        var result = await GraphList.PageAsync(http, db.DeviceActions.AsNoTracking().Where(a => a.RequestId == id), DeviceActionModel, a => a.Id,
            async page =>
            {
                var deviceIds = page.Select(a => a.DeviceId).ToList();
                var names = await db.Devices.AsNoTracking().Where(d => EF.Parameter(deviceIds).Contains(d.Id))
                    .Select(d => new { d.Id, d.Name }).ToDictionaryAsync(d => d.Id, d => d.Name, http.RequestAborted);
                return (IReadOnlyList<DeviceActionStateResource>)page.Select(a => new DeviceActionStateResource(
                    a.Id.ToString(), a.DeviceId.ToString(), names.GetValueOrDefault(a.DeviceId), WireState(a.State), a.Reason, a.LastUpdatedAt)).ToList();
            },
            $"deviceManagement/actionRequests('{id}')/deviceActions");
        return result.Result switch
        {
            ContentHttpResult ok => ok,
            BadRequest<GraphErrorBody> bad => bad,
            _ => throw new InvalidOperationException("Unexpected list result."),
        };
    }

    private static async Task<Results<Ok<CancelResultResource>, NotFound<GraphErrorBody>>> CancelAsync(
        Guid id, HttpContext http, LatchDbContext db, DeviceActions actions)
    {
        if (!await db.ActionRequests.AnyAsync(r => r.Id == id, http.RequestAborted)) return TypedResults.NotFound(NoRequest(id));
        var canceled = await actions.CancelPendingAsync(id, ManagedDevicesApi.Actor(http), http.RequestAborted);
        return TypedResults.Ok(new CancelResultResource(canceled));
    }

    /// <summary>A request's selection: exactly one of device ids, a group, a user or an OData filter over managedDevices.</summary>
    internal sealed record Selection(IReadOnlyList<Guid>? DeviceIds, IQueryable<Device>? Devices,
        BadRequest<GraphErrorBody>? Bad = null, NotFound<GraphErrorBody>? Missing = null);

    internal static async Task<Selection> SelectAsync(ExecuteActionRequest body, LatchDbContext db, GroupDirectory groups,
        CancellationToken cancellationToken)
    {
        var given = new object?[] { body.DeviceIds, body.GroupId, body.UserId, body.Filter }.Count(v => v is not null);
        if (given != 1)
            return Fail(TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                "Give either deviceIds or groupId (or userId, or filter): exactly one of them.")));

        if (body.DeviceIds is { } texts)
        {
            var ids = new List<Guid>(texts.Length);
            foreach (var text in texts)
            {
                if (!Guid.TryParse(text, out var deviceId))
                    return Fail(TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"'{text ?? "null"}' is not a valid managedDevice id (a GUID).")));
                ids.Add(deviceId);
            }
            if (ids.Count == 0) return Fail(TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "Name at least one device.")));
            return new Selection(ids, null);
        }

        IQueryable<Device> devices;
        string what;
        if (body.GroupId is { } groupText)
        {
            if (!Guid.TryParse(groupText, out var groupId) || await groups.DevicesInAsync(groupId, cancellationToken) is not { } members)
                return Fail(TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no group with id '{groupText}'.")));
            (devices, what) = (members, $"The group '{groupText}'");
        }
        else if (body.UserId is { } userText)
        {
            if (await UsersApi.FindUserAsync(db, userText, cancellationToken) is not { } user)
                return Fail(TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no user '{userText}'.")));
            (devices, what) = (groups.DevicesOfUser(user.Id), $"The user '{userText}'");
        }
        else
        {
            try
            {
                var query = ODataQuery.Parse(new QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>
                    { ["$filter"] = body.Filter }), GraphModels.ManagedDevice);
                (devices, what) = (query.ApplyFilter(db.Devices), $"The filter '{body.Filter}'");
            }
            catch (ODataQueryException error)
            {
                return Fail(TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message)));
            }
        }
        if (!await devices.AnyAsync(cancellationToken))
            return Fail(TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"{what} has no devices.")));
        return new Selection(null, devices);
    }

    internal static RemoteAction? ParseAction(string? name) => name switch
    {
        "remoteLock" => RemoteAction.RemoteLock,
        "resetPasscode" => RemoteAction.ResetPasscode,
        _ => null,
    };

    internal static GraphErrorBody UnknownAction(string? name) =>
        GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"actionName '{name}' is not supported; use 'remoteLock' or 'resetPasscode'.");

    internal static string WireState(DeviceActionState state) => state switch
    {
        DeviceActionState.NotSupported => "notSupported",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static Selection Fail(BadRequest<GraphErrorBody> error) => new(null, null, Bad: error);
    private static Selection Fail(NotFound<GraphErrorBody> error) => new(null, null, Missing: error);

    private static GraphErrorBody NoRequest(Guid id) =>
        GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no action request with id '{id}'.");
}

public sealed record PreviewDeviceResource([property: JsonPropertyName("id")] string Id, [property: JsonPropertyName("deviceName")] string DeviceName);

public sealed record SkippedGroupResource(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("examples")] IReadOnlyList<PreviewDeviceResource> Examples);

/// <summary>The eligibility preview: how many get the action, the skipped ones grouped by the rules' reason, and the lost devices held back.</summary>
public sealed record ActionPreviewResource(
    [property: JsonPropertyName("actionName")] string ActionName,
    [property: JsonPropertyName("selectedCount")] int SelectedCount,
    [property: JsonPropertyName("willRunCount")] int WillRunCount,
    [property: JsonPropertyName("skippedCount")] int SkippedCount,
    [property: JsonPropertyName("notFoundCount")] int NotFoundCount,
    [property: JsonPropertyName("skipped")] IReadOnlyList<SkippedGroupResource> Skipped,
    [property: JsonPropertyName("lostDevices")] IReadOnlyList<PreviewDeviceResource> LostDevices)
{
    public static ActionPreviewResource From(ActionPreviewResult preview) => new(
        preview.Action == RemoteAction.RemoteLock ? "remoteLock" : "resetPasscode",
        preview.Selected, preview.WillRun, preview.SkippedCount, preview.NotFound,
        preview.Skipped.Select(g => new SkippedGroupResource(g.Reason, g.Count, g.Examples.Select(Device).ToList())).ToList(),
        preview.LostDevices.Select(Device).ToList());

    private static PreviewDeviceResource Device(PreviewDevice d) => new(d.Id.ToString(), d.Name);
}

/// <summary>One bulk request: who asked, when, and how many of its devices are in each state (every state, zeros included).</summary>
public sealed record ActionRequestResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("actionName")] string ActionName,
    [property: JsonPropertyName("requestedBy")] string RequestedBy,
    [property: JsonPropertyName("requestedDateTime")] DateTimeOffset RequestedDateTime,
    [property: JsonPropertyName("deviceCount")] int DeviceCount,
    [property: JsonPropertyName("stateCounts")] IReadOnlyDictionary<string, int> StateCounts,
    [property: JsonPropertyName("isSettled")] bool IsSettled)
{
    public static ActionRequestResource From(ActionRequest request, IReadOnlyDictionary<DeviceActionState, int> counts) => new(
        request.Id.ToString(),
        request.Action == RemoteAction.RemoteLock ? "remoteLock" : "resetPasscode",
        request.RequestedBy, request.RequestedAt, request.DeviceCount,
        Enum.GetValues<DeviceActionState>().ToDictionary(ActionRequestsApi.WireState, s => counts.GetValueOrDefault(s)),
        counts.Where(c => !c.Key.IsFinal()).Sum(c => c.Value) == 0);
}

public sealed record DeviceActionStateResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("deviceName")] string? DeviceName,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("lastUpdatedDateTime")] DateTimeOffset LastUpdatedDateTime);

public sealed record CancelResultResource([property: JsonPropertyName("canceledCount")] int CanceledCount);
