using Latch.Core.Rules;

namespace Latch.Core.Actions;

/// <summary>One administrator request: an action, the devices it is for, who asks.</summary>
/// <param name="IdempotencyKey">
/// The caller's key for this request: the same key from the same caller returns the first request's outcome and
/// changes nothing; the same key for a different request is refused.
/// </param>
public sealed record ActionRequestInput(
    RemoteAction Action,
    IReadOnlyCollection<Guid> DeviceIds,
    string RequestedBy,
    bool LostDeviceConfirmed = false,
    string? IdempotencyKey = null);

/// <summary>What became of each device named in a request. Every named device is in exactly one list.</summary>
public sealed record BulkActionOutcome(
    Guid RequestId,
    IReadOnlyList<QueuedAction> Queued,
    IReadOnlyList<RefusedAction> NotSupported,
    IReadOnlyList<Guid> AlreadyPending,
    IReadOnlyList<Guid> NotFound,
    IReadOnlyList<Guid> Duplicates);

public sealed record QueuedAction(Guid DeviceId, Guid ActionId);

public sealed record RefusedAction(Guid DeviceId, Guid ActionId, string Reason);

/// <summary>A request that cannot be carried out as asked; the message says why, for the person who asked.</summary>
public sealed class ActionRequestException(string message) : Exception(message);
