namespace Latch.Core.Commands;

/// <summary>
/// A command waiting for, or delivered to, one device. Its <see cref="Id"/> is the id the device protocols
/// carry (Apple CommandUUID, the SyncML command reference, the Android agent's command id), which is what
/// makes redelivery harmless: a report is recorded once, by id.
/// </summary>
public sealed class Command
{
    // Version 7: time-ordered, so a bulk insert appends to the primary key instead of splitting pages at random.
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public Guid DeviceId { get; init; }

    /// <summary>The action this command carries out, when it was queued for one (that action's <c>CommandId</c> points back).</summary>
    public Guid? DeviceActionId { get; init; }

    /// <summary>Protocol-neutral command name (<see cref="CommandTypes"/>); each channel maps it to its wire command.</summary>
    public required string Type { get; init; }

    /// <summary>Lower runs first. Remote lock and passcode reset are <see cref="CommandPriority.Urgent"/>.</summary>
    public int Priority { get; init; } = CommandPriority.Routine;

    /// <summary>Channel-neutral parameters as JSON; never secrets (those stay encrypted on the action).</summary>
    public string? Payload { get; init; }

    public CommandStatus Status { get; internal set; } = CommandStatus.Queued;
    public DateTimeOffset EnqueuedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public int DeliveryCount { get; internal set; }
    public DateTimeOffset? LastSentAt { get; internal set; }
    public DateTimeOffset? FinishedAt { get; internal set; }

    /// <summary>The device's error, or why the command was dropped.</summary>
    public string? Error { get; internal set; }
}

public static class CommandTypes
{
    public const string RemoteLock = "RemoteLock";
    public const string ResetPasscode = "ResetPasscode";

    /// <summary>Asks the device for its model, OS version and supervision (Apple DeviceInformation); keeps the rules' facts fresh.</summary>
    public const string QueryDeviceInformation = "QueryDeviceInformation";

    /// <summary>Asks the device whether a passcode is set (Apple SecurityInfo).</summary>
    public const string QuerySecurityInfo = "QuerySecurityInfo";
}

public static class CommandPriority
{
    public const int Urgent = 0;
    public const int Routine = 100;
}

public enum CommandStatus
{
    Queued,
    Sent,

    /// <summary>The device answered NotNow; offered again when it next starts a session.</summary>
    NotNow,

    Acknowledged,
    Error,
    Expired,

    /// <summary>Dropped before it ran: canceled by an administrator or cleared by re-enrolment.</summary>
    Canceled,
}

public static class CommandStatuses
{
    /// <summary>States in which the device may still be given the command.</summary>
    public static readonly CommandStatus[] Open = [CommandStatus.Queued, CommandStatus.Sent, CommandStatus.NotNow];
}

/// <summary>What a device said about a command, whatever the protocol.</summary>
public readonly record struct CommandReport(CommandReportKind Kind, string? Error = null)
{
    public static CommandReport Acknowledged { get; } = new(CommandReportKind.Acknowledged);
    public static CommandReport NotNow { get; } = new(CommandReportKind.NotNow);
    public static CommandReport Failed(string error) => new(CommandReportKind.Error, error);
}

public enum CommandReportKind
{
    Acknowledged,
    Error,
    NotNow,
}

public enum ReportOutcome
{
    /// <summary>The report changed the command's state.</summary>
    Recorded,

    /// <summary>The command had already finished (a replayed report): nothing changed.</summary>
    AlreadyRecorded,

    /// <summary>No such command for this device: another device's, or never issued.</summary>
    UnknownCommand,
}

/// <summary>A command that can be handed out now, with what delivering it needs (<see cref="CommandQueue.NextAsync"/>).</summary>
/// <param name="LostConfirmed">Whether the action's request confirmed acting on a device marked lost.</param>
public sealed record QueuedCommand(Command Command, Actions.DeviceAction? Action, Devices.Device Device, bool LostConfirmed);

/// <summary>A command a device reported on, as read before the report is recorded (<see cref="CommandQueue.ReportedAsync"/>).</summary>
/// <param name="OthersWaiting">
/// Whether the device had other commands to fetch in this session. When it had none, the session may end without
/// looking again: a command queued since then wakes the device for a new session.
/// </param>
/// <param name="OthersOpen">Whether the device had any other open command, NotNow ones included.</param>
public sealed record ReportedCommand(Command Command, Actions.DeviceAction? Action, bool OthersWaiting, bool OthersOpen);
