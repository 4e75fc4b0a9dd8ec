using System.Globalization;
using Latch.Core.Actions;
using Latch.Core.Devices;
using Latch.Core.Rules;

namespace Latch.Server.Console;

/// <summary>The console's wording for domain values, in one place.</summary>
public static class Format
{
    public static string Channel(ManagementChannel channel) => channel switch
    {
        ManagementChannel.DirectMdm => "MDM",
        ManagementChannel.ExchangeActiveSyncOnly => "Exchange ActiveSync",
        ManagementChannel.DirectMdmAndExchangeActiveSync => "MDM + Exchange ActiveSync",
        ManagementChannel.PcSoftwareClient => "PC software client",
        _ => channel.ToString(),
    };

    public static string Action(RemoteAction action) => action == RemoteAction.RemoteLock ? "Remote Lock" : "Passcode Reset";

    public static string State(DeviceActionState state) => state switch
    {
        DeviceActionState.NotSupported => "Not supported",
        DeviceActionState.Pending => "Pending",
        DeviceActionState.Active => "Sent to device",
        DeviceActionState.Done => "Done",
        DeviceActionState.Failed => "Failed",
        DeviceActionState.Canceled => "Canceled",
        _ => state.ToString(),
    };

    /// <summary>The SPEC/Graph spelling (notSupported, pending, ...), for data attributes that tests and scripts read.</summary>
    public static string WireState(DeviceActionState state) => JsonNamingPolicyCamel(state.ToString());

    public static string When(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "Never";

    public static string WhenExact(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Devices(long n) => n == 1 ? "1 device" : $"{Count(n)} devices";

    private static string JsonNamingPolicyCamel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
