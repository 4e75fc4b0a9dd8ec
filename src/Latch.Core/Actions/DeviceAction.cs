using Latch.Core.Rules;

namespace Latch.Core.Actions;

/// <summary>
/// One remote action on one device. It moves only through its own methods, each of which records a
/// <see cref="DeviceActionTransition"/> (the audit trail of SPEC §5); a move the lifecycle does not allow throws.
/// </summary>
public sealed class DeviceAction
{
    private DeviceAction() { }

    public Guid Id { get; private init; }

    /// <summary>The administrator's request this action belongs to (one request covers many devices).</summary>
    public Guid RequestId { get; private init; }

    public Guid DeviceId { get; private init; }

    /// <summary>The queued command that carries this action out; null when the rules refused it.</summary>
    public Guid? CommandId { get; private init; }

    public RemoteAction Action { get; private init; }
    public DeviceActionState State { get; private set; }

    /// <summary>Why it is notSupported, or the device's error when it failed.</summary>
    public string? Reason { get; private set; }

    public string RequestedBy { get; private init; } = "";
    public DateTimeOffset RequestedAt { get; private init; }
    public DateTimeOffset LastUpdatedAt { get; private set; }

    /// <summary>A temporary passcode made for this action, encrypted (see <see cref="Secrets.SecretProtector"/>); never plain.</summary>
    public string? ProtectedPasscode { get; private set; }

    public List<DeviceActionTransition> Transitions { get; private init; } = [];

    internal static DeviceAction Queue(ActionRequest request, Guid deviceId, Guid commandId, string? protectedPasscode = null) =>
        New(request, deviceId, commandId, DeviceActionState.Pending, reason: null, protectedPasscode);

    internal static DeviceAction Refuse(ActionRequest request, Guid deviceId, string reason) =>
        New(request, deviceId, commandId: null, DeviceActionState.NotSupported, reason, protectedPasscode: null);

    private static DeviceAction New(ActionRequest request, Guid deviceId, Guid? commandId, DeviceActionState state, string? reason,
        string? protectedPasscode) => new()
    {
        Id = Guid.CreateVersion7(),
        RequestId = request.Id,
        DeviceId = deviceId,
        CommandId = commandId,
        Action = request.Action,
        State = state,
        Reason = reason,
        RequestedBy = request.RequestedBy,
        RequestedAt = request.RequestedAt,
        LastUpdatedAt = request.RequestedAt,
        ProtectedPasscode = protectedPasscode,
    };

    /// <summary>The command went out to the device.</summary>
    public void MarkSent(DateTimeOffset now) =>
        Move(DeviceActionState.Active, now, "Sent to the device.", DeviceActionState.Pending);

    /// <summary>The device answered NotNow; the command stays queued and is offered again at a later check-in.</summary>
    public void Defer(DateTimeOffset now) =>
        Move(DeviceActionState.Pending, now, "The device answered NotNow; it will be offered again.", DeviceActionState.Active);

    public void Complete(DateTimeOffset now) =>
        Move(DeviceActionState.Done, now, "The device reported success.", DeviceActionState.Active);

    public void Fail(string error, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        Move(DeviceActionState.Failed, now, error, DeviceActionState.Pending, DeviceActionState.Active);
        Reason = error;
    }

    /// <summary>
    /// The device made the new passcode itself and returned it once with its report (Windows: <c>NewPINValue</c>); it is
    /// kept like a passcode Latch makes, encrypted (<paramref name="protectedPasscode"/>), for an administrator to reveal.
    /// </summary>
    public void KeepDevicePasscode(string protectedPasscode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(protectedPasscode);
        if (Action != RemoteAction.ResetPasscode)
            throw new InvalidOperationException($"A {Action} action has no passcode to keep.");
        if (ProtectedPasscode is not null)
            throw new InvalidOperationException("This action already has its passcode.");
        ProtectedPasscode = protectedPasscode;
    }

    /// <summary>Facts changed between the request and delivery and the rules now refuse the action.</summary>
    public void Withdraw(string reason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Move(DeviceActionState.NotSupported, now, reason, DeviceActionState.Pending);
        Reason = reason;
    }

    /// <summary>Only a command the device has not fetched can be canceled; once sent it may already have run.</summary>
    public void Cancel(string canceledBy, DateTimeOffset now) =>
        Move(DeviceActionState.Canceled, now, $"Canceled by {canceledBy}.", [DeviceActionState.Pending], canceledBy);

    private void Move(DeviceActionState to, DateTimeOffset now, string detail, params DeviceActionState[] allowedFrom) =>
        Move(to, now, detail, allowedFrom, DeviceActionTransition.ByLatch);

    private void Move(DeviceActionState to, DateTimeOffset now, string detail, DeviceActionState[] allowedFrom, string by)
    {
        if (!allowedFrom.Contains(State))
            throw new InvalidOperationException($"A {Action} action cannot move from {State} to {to}.");
        Transitions.Add(new DeviceActionTransition
        {
            DeviceActionId = Id,
            From = State,
            To = to,
            At = now,
            Detail = detail,
            By = by,
        });
        State = to;
        LastUpdatedAt = now;
    }
}

/// <summary>One state change of a <see cref="DeviceAction"/>, kept for the audit trail.</summary>
public sealed class DeviceActionTransition
{
    public long Id { get; init; }
    public Guid DeviceActionId { get; init; }
    public DeviceActionState From { get; init; }
    public DeviceActionState To { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Detail { get; init; }

    /// <summary>Who moved it: an administrator, or Latch itself on a device's report, a re-check of the rules or an expiry.</summary>
    public string By { get; init; } = ByLatch;

    public const string ByLatch = "latch";
}
