namespace Latch.Core.Devices;

/// <summary>How Latch reaches a device (SPEC §1).</summary>
public enum ManagementChannel
{
    /// <summary>Enrolled in MDM and talking to Latch over the platform's own MDM protocol.</summary>
    DirectMdm,

    /// <summary>Known only through its Exchange ActiveSync mail connection.</summary>
    ExchangeActiveSyncOnly,

    /// <summary>Enrolled in MDM and also seen through Exchange ActiveSync; actions go through MDM.</summary>
    DirectMdmAndExchangeActiveSync,

    /// <summary>A Windows PC managed by the installed PC software client rather than MDM.</summary>
    PcSoftwareClient,
}

public static class ManagementChannels
{
    public static bool IsExchangeActiveSync(this ManagementChannel channel) =>
        channel is ManagementChannel.ExchangeActiveSyncOnly or ManagementChannel.DirectMdmAndExchangeActiveSync;
}
