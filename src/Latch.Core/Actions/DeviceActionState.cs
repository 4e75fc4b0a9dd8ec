namespace Latch.Core.Actions;

/// <summary>SPEC §5 action states. Wire spellings are the camelCase of these names (notSupported, pending, ...).</summary>
public enum DeviceActionState
{
    /// <summary>Refused by the rules engine, with the reason.</summary>
    NotSupported,

    /// <summary>Queued; waiting for the device to fetch the command.</summary>
    Pending,

    /// <summary>Sent to the device; waiting for its report.</summary>
    Active,

    Done,

    /// <summary>The device reported an error, or the command could not be delivered (expired, re-enrolled).</summary>
    Failed,

    Canceled,
}

public static class DeviceActionStates
{
    public static bool IsFinal(this DeviceActionState state) =>
        state is DeviceActionState.NotSupported or DeviceActionState.Done or DeviceActionState.Failed or DeviceActionState.Canceled;
}
