using System.Text.Json.Serialization;
using Latch.Core.Actions;

namespace Latch.Server.Graph;

/// <summary>The body of <c>POST managedDevices/executeAction</c> and <c>previewAction</c>: the action and exactly one way of selecting devices (userId and filter are Latch additions).</summary>
public sealed record ExecuteActionRequest(
    [property: JsonPropertyName("actionName")] string? ActionName,
    [property: JsonPropertyName("deviceIds")] string?[]? DeviceIds,
    [property: JsonPropertyName("groupId")] string? GroupId,
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("filter")] string? Filter,
    [property: JsonPropertyName("lostDeviceConfirmed")] bool? LostDeviceConfirmed);

/// <summary>
/// Graph's <c>bulkManagedDeviceActionResult</c> lists, plus the reason for each refused device
/// (<c>notSupportedDevices</c>, a Latch addition the Graph SDK keeps in AdditionalData).
/// </summary>
public sealed record BulkActionResultResource
{
    [JsonPropertyName("@odata.context")] public string ODataContext { get; init; } = "$metadata#microsoft.graph.bulkManagedDeviceActionResult";
    [JsonPropertyName("successfulDeviceIds")] public required IReadOnlyList<string> SuccessfulDeviceIds { get; init; }
    [JsonPropertyName("failedDeviceIds")] public IReadOnlyList<string> FailedDeviceIds { get; init; } = [];
    [JsonPropertyName("notFoundDeviceIds")] public required IReadOnlyList<string> NotFoundDeviceIds { get; init; }
    [JsonPropertyName("notSupportedDeviceIds")] public required IReadOnlyList<string> NotSupportedDeviceIds { get; init; }
    [JsonPropertyName("notSupportedDevices")] public required IReadOnlyList<NotSupportedDevice> NotSupportedDevices { get; init; }
    [JsonPropertyName("alreadyPendingDeviceIds")] public required IReadOnlyList<string> AlreadyPendingDeviceIds { get; init; }
    [JsonPropertyName("requestId")] public required string RequestId { get; init; }

    // A device that already had the same action in flight counts as successful: it will get exactly one.
    public static BulkActionResultResource From(BulkActionOutcome outcome) => new()
    {
        SuccessfulDeviceIds = [.. outcome.Queued.Select(q => q.DeviceId.ToString()), .. outcome.AlreadyPending.Select(id => id.ToString())],
        NotFoundDeviceIds = outcome.NotFound.Select(id => id.ToString()).ToList(),
        NotSupportedDeviceIds = outcome.NotSupported.Select(r => r.DeviceId.ToString()).ToList(),
        NotSupportedDevices = outcome.NotSupported.Select(r => new NotSupportedDevice(r.DeviceId.ToString(), r.Reason)).ToList(),
        AlreadyPendingDeviceIds = outcome.AlreadyPending.Select(id => id.ToString()).ToList(),
        RequestId = outcome.RequestId.ToString(),
    };
}

public sealed record NotSupportedDevice(
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("reason")] string Reason);
