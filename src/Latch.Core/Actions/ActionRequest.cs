using Latch.Core.Rules;

namespace Latch.Core.Actions;

/// <summary>An administrator's request for one remote action on one or many devices: who asked, when, and how it went.</summary>
public sealed class ActionRequest
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public RemoteAction Action { get; init; }
    public required string RequestedBy { get; init; }
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>The requester said they know some devices are marked lost (SPEC §6: passcode reset on a lost device).</summary>
    public bool LostDeviceConfirmed { get; init; }

    public int DeviceCount { get; set; }
    public int QueuedCount { get; set; }
    public int NotSupportedCount { get; set; }
    public int AlreadyPendingCount { get; set; }
    public int NotFoundCount { get; set; }
}
