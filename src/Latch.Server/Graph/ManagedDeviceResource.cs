using System.Linq.Expressions;
using System.Text.Json.Serialization;
using Latch.Core.Actions;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Users;

namespace Latch.Server.Graph;

/// <summary>
/// A device as Graph's <c>managedDevice</c> resource: Graph's property names and enum spellings, so the Graph SDK
/// and existing Intune scripts read it unchanged.
/// </summary>
public sealed record ManagedDeviceResource
{
    [JsonPropertyName("@odata.context")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ODataContext { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("deviceName")] public required string DeviceName { get; init; }
    [JsonPropertyName("userId")] public string? UserId { get; init; }
    [JsonPropertyName("userPrincipalName")] public string? UserPrincipalName { get; init; }
    [JsonPropertyName("userDisplayName")] public string? UserDisplayName { get; init; }
    [JsonPropertyName("emailAddress")] public string? EmailAddress { get; init; }
    [JsonPropertyName("operatingSystem")] public required string OperatingSystem { get; init; }
    [JsonPropertyName("osVersion")] public required string OsVersion { get; init; }
    [JsonPropertyName("deviceType")] public required string DeviceType { get; init; }
    [JsonPropertyName("managementAgent")] public required string ManagementAgent { get; init; }
    [JsonPropertyName("deviceEnrollmentType")] public string DeviceEnrollmentType { get; init; } = "userEnrollment";
    [JsonPropertyName("managedDeviceOwnerType")] public string ManagedDeviceOwnerType { get; init; } = "company";
    [JsonPropertyName("azureADRegistered")] public bool AzureAdRegistered { get; init; }
    [JsonPropertyName("isSupervised")] public bool IsSupervised { get; init; }
    [JsonPropertyName("enrolledDateTime")] public DateTimeOffset EnrolledDateTime { get; init; }
    [JsonPropertyName("lastSyncDateTime")] public DateTimeOffset? LastSyncDateTime { get; init; }
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("manufacturer")] public string? Manufacturer { get; init; }
    [JsonPropertyName("serialNumber")] public string? SerialNumber { get; init; }
    [JsonPropertyName("imei")] public string? Imei { get; init; }
    [JsonPropertyName("easActivated")] public bool EasActivated { get; init; }
    [JsonPropertyName("complianceState")] public string ComplianceState { get; init; } = "unknown";
    [JsonPropertyName("deviceActionResults")] public IReadOnlyList<DeviceActionResultResource>? DeviceActionResults { get; init; }

    public static ManagedDeviceResource From(Device device, User? owner, IReadOnlyList<DeviceActionResultResource>? actionResults = null) => new()
    {
        Id = device.Id.ToString(),
        DeviceName = device.Name,
        UserId = owner?.Id.ToString(),
        UserPrincipalName = owner?.UserPrincipalName,
        UserDisplayName = owner?.DisplayName,
        EmailAddress = owner?.Email,
        OperatingSystem = OperatingSystemValue(device)!,
        OsVersion = device.OsVersion.ToString(),
        DeviceType = DeviceTypeValue(device)!,
        ManagementAgent = ManagementAgentValue(device)!,
        AzureAdRegistered = device.AzureAdJoined,
        IsSupervised = device.Supervised,
        EnrolledDateTime = device.EnrolledAt,
        LastSyncDateTime = device.LastCheckInAt,
        Model = device.Model,
        Manufacturer = device.Manufacturer,
        SerialNumber = device.SerialNumber,
        Imei = device.Imei,
        EasActivated = device.Channel.IsExchangeActiveSync(),
        DeviceActionResults = actionResults,
    };

    // Graph's enum spellings as expressions, so the same mapping filters in SQL ($filter) and shapes each response.
    public static readonly Expression<Func<Device, string?>> OperatingSystemOf = d =>
        d.Platform == Platform.MacOS ? "macOS"
        : d.Platform == Platform.IOS ? "iOS"
        : d.Platform == Platform.Android || d.Platform == Platform.AndroidForWork ? "Android"
        : "Windows";

    // Graph's deviceType enum.
    public static readonly Expression<Func<Device, string?>> DeviceTypeOf = d =>
        d.Platform == Platform.MacOS ? "macMDM"
        : d.Platform == Platform.IOS && d.Model != null && d.Model.StartsWith("iPad") ? "iPad"
        : d.Platform == Platform.IOS ? "iPhone"
        : d.Platform == Platform.Android ? "android"
        : d.Platform == Platform.AndroidForWork ? "androidForWork"
        : d.Platform == Platform.Windows10Mobile || d.Platform == Platform.WindowsPhone81 ? "windowsPhone"
        : d.Platform == Platform.WindowsRT ? "windowsRT"
        : "desktop";

    // Graph's managementAgentType enum.
    public static readonly Expression<Func<Device, string?>> ManagementAgentOf = d =>
        d.Channel == ManagementChannel.DirectMdm ? "mdm"
        : d.Channel == ManagementChannel.ExchangeActiveSyncOnly ? "eas"
        : d.Channel == ManagementChannel.DirectMdmAndExchangeActiveSync ? "easMdm"
        : "intuneClient";

    private static readonly Func<Device, string?> OperatingSystemValue = OperatingSystemOf.Compile();
    private static readonly Func<Device, string?> DeviceTypeValue = DeviceTypeOf.Compile();
    private static readonly Func<Device, string?> ManagementAgentValue = ManagementAgentOf.Compile();
}

/// <summary>
/// Graph's <c>deviceActionResult</c>, typed by <c>@odata.type</c> so the SDK builds a
/// <c>RemoteLockActionResult</c> or <c>ResetPasscodeActionResult</c>.
/// </summary>
public sealed record DeviceActionResultResource
{
    [JsonPropertyName("@odata.type")] public required string ODataType { get; init; }
    [JsonPropertyName("actionName")] public required string ActionName { get; init; }
    [JsonPropertyName("actionState")] public required string ActionState { get; init; }
    [JsonPropertyName("startDateTime")] public DateTimeOffset StartDateTime { get; init; }
    [JsonPropertyName("lastUpdatedDateTime")] public DateTimeOffset LastUpdatedDateTime { get; init; }

    /// <summary>The temporary passcode, only on a reset that made one and only for roles allowed to see it.</summary>
    [JsonPropertyName("passcode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Passcode { get; init; }

    public static DeviceActionResultResource From(DeviceAction action, string? passcode) => new()
    {
        ODataType = action.Action == RemoteAction.RemoteLock
            ? "#microsoft.graph.remoteLockActionResult"
            : "#microsoft.graph.resetPasscodeActionResult",
        ActionName = action.Action == RemoteAction.RemoteLock ? "remoteLock" : "resetPasscode",
        ActionState = JsonNamingPolicy(action.State.ToString()),
        StartDateTime = action.RequestedAt,
        LastUpdatedDateTime = action.LastUpdatedAt,
        Passcode = passcode,
    };

    // Graph's actionState enum is the camelCase of ours: notSupported, pending, active, done, failed, canceled.
    private static string JsonNamingPolicy(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}
