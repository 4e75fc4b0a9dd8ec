namespace Latch.Core.Audit;

/// <summary>
/// Something worth answering "who did what, when" for, beyond an action's own transitions:
/// requests, reveals of temporary passcodes, refused calls. Details never hold secrets.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Kind { get; init; }
    public Guid? DeviceId { get; init; }
    public Guid? DeviceActionId { get; init; }
    public Guid? ActionRequestId { get; init; }
    public required string Detail { get; init; }
}

public static class AuditKinds
{
    public const string ActionRequested = "action.requested";
    public const string ActionStateChanged = "action.stateChanged";
    public const string PasscodeRevealed = "passcode.revealed";
    public const string DeviceReenrolled = "device.reenrolled";
    public const string RequestDenied = "request.denied";
    public const string EnrollmentProfileIssued = "enrollment.profileIssued";
    public const string EnrollmentCodeIssued = "enrollment.codeIssued";
    public const string DeviceEnrolled = "device.enrolled";
    public const string DeviceUnenrolled = "device.unenrolled";
    public const string DeviceMarkedLost = "device.markedLost";
    public const string DeviceMarkedFound = "device.markedFound";
    public const string AccountLocked = "account.locked";
    public const string AccountUnlocked = "account.unlocked";

    /// <summary>A device protocol request refused: bad or missing signature, another device's identity or command.</summary>
    public const string DeviceRequestRefused = "device.requestRefused";
}
