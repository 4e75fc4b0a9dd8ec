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

    /// <summary>The caller's Idempotency-Key, unique per requester.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>SHA-256 of what was asked (action, devices, lost confirmation): a reused key must ask the same.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>For idempotent replays: the devices that had no action row (not found, already pending), as JSON.</summary>
    public string? UnrecordedOutcome { get; set; }

    public int DeviceCount { get; set; }
    public int QueuedCount { get; set; }
    public int NotSupportedCount { get; set; }
    public int AlreadyPendingCount { get; set; }
    public int NotFoundCount { get; set; }
}
