using System.Text.Json.Serialization;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Server.Auth;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary><c>/v1.0/deviceManagement/auditEvents</c>: the audit trail, newest first unless <c>$orderby</c> says otherwise.</summary>
public static class AuditEventsApi
{
    public static void MapAuditEvents(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1.0/deviceManagement/auditEvents", async (HttpContext http, LatchDbContext db) =>
                await GraphList.PageAsync(http, db.AuditEvents.AsNoTracking(), GraphModels.AuditEvent, e => -e.Id,
                    list => Task.FromResult<IReadOnlyList<AuditEventResource>>(list.Select(AuditEventResource.From).ToList()),
                    "deviceManagement/auditEvents"))
            .RequireAuthorization(Policies.Read);
}

public sealed record AuditEventResource
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("activityType")] public required string ActivityType { get; init; }
    [JsonPropertyName("activityDateTime")] public DateTimeOffset ActivityDateTime { get; init; }
    [JsonPropertyName("actor")] public required string Actor { get; init; }
    [JsonPropertyName("displayName")] public required string DisplayName { get; init; }
    [JsonPropertyName("deviceId")] public string? DeviceId { get; init; }
    [JsonPropertyName("deviceActionId")] public string? DeviceActionId { get; init; }
    [JsonPropertyName("actionRequestId")] public string? ActionRequestId { get; init; }

    public static AuditEventResource From(AuditEvent e) => new()
    {
        Id = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ActivityType = e.Kind, ActivityDateTime = e.At, Actor = e.Actor,
        DisplayName = e.Detail, DeviceId = e.DeviceId?.ToString(), DeviceActionId = e.DeviceActionId?.ToString(),
        ActionRequestId = e.ActionRequestId?.ToString(),
    };
}
