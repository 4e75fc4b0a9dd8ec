using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Core.Commands;

/// <summary>
/// The durable per-device command queue: every concurrency-sensitive statement about commands lives here and is
/// tested on SQLite and PostgreSQL alike. State changes are conditional UPDATEs on the current status, so two
/// server processes (or a replayed report) cannot move a command twice. Callers own the transaction.
/// </summary>
public sealed class CommandQueue(LatchDbContext db, BulkInsert bulk, QuietDevices quiet, TimeProvider clock, IOptions<CommandQueueOptions> options)
{
    private readonly TimeSpan _lifetime = options.Value.CommandLifetime;

    /// <summary>A new command for a device, stamped with the queue's clock and lifetime; not yet saved.</summary>
    public Command Create(Guid deviceId, string type, int priority, Guid? deviceActionId = null, string? payload = null, Guid? id = null)
    {
        var now = clock.GetUtcNow();
        return new Command
        {
            Id = id ?? Guid.CreateVersion7(),
            DeviceId = deviceId,
            DeviceActionId = deviceActionId,
            Type = type,
            Priority = priority,
            Payload = payload,
            EnqueuedAt = now,
            ExpiresAt = now + _lifetime,
        };
    }

    /// <summary>
    /// Writes many commands in the caller's transaction (or one of its own when there is none): all or none.
    /// The devices must exist; callers queue for devices they read in the same transaction.
    /// </summary>
    public async Task EnqueueAsync(IReadOnlyList<Command> commands, CancellationToken cancellationToken = default)
    {
        db.AfterCommit(() => quiet.Forget(commands.Select(c => c.DeviceId)));
        if (db.Database.CurrentTransaction is not null)
        {
            await bulk.InsertAsync(db, commands, cancellationToken);
            return;
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await bulk.InsertAsync(db, commands, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The device's next commands that can be handed out now, by priority then age, at most <paramref name="limit"/>, each
    /// with what delivering it needs (its action, the device's facts, the request's lost confirmation); a read only.
    /// A sent command without a report is offered again (delivery is at least once; the command id makes a repeat
    /// harmless). NotNow commands wait for the device's next session: pass <paramref name="newSession"/> when the device
    /// starts one (Apple: Idle). Claim each with <see cref="ClaimAsync"/>.
    /// </summary>
    public async Task<List<QueuedCommand>> NextAsync(Guid deviceId, bool newSession, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken); // the statement needs an open connection
        var next = await QueueStatements.For(db).NextAsync(db, deviceId, newSession, limit, clock.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return next;
    }

    /// <summary>
    /// Marks a command read by <see cref="NextAsync"/> as sent — unless another request moved it since, which the
    /// conditional UPDATE sees: null then, and the caller looks again. Returns the command as sent.
    /// </summary>
    public async Task<Command?> ClaimAsync(Command seen, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken); // the statement needs an open connection
        if (!await QueueStatements.For(db).ClaimAsync(db, seen, now, cancellationToken)) return null;
        await transaction.CommitAsync(cancellationToken);
        seen.Status = CommandStatus.Sent;
        seen.DeliveryCount++;
        seen.LastSentAt = now;
        return seen;
    }

    /// <summary>
    /// One of the device's commands, as a report on it finds it: with its action, and whether the device has other
    /// commands waiting in this session or open at all. Null when there is no such command or it is another device's.
    /// </summary>
    public async Task<ReportedCommand?> ReportedAsync(Guid deviceId, Guid commandId, CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var found = await QueueStatements.For(db).ReportAsync(db, commandId, clock.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return found?.Command.DeviceId == deviceId ? found : null;
    }

    /// <summary>
    /// Records a report on a command read earlier (<see cref="ReportedAsync"/>). The UPDATE is conditional on the command
    /// still being open, so a report that raced with another (or with an expiry) is <see cref="ReportOutcome.AlreadyRecorded"/>.
    /// </summary>
    public async Task<(ReportOutcome Outcome, Command Command)> RecordAsync(Command command, CommandReport report,
        CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var (status, finished) = report.Kind switch
        {
            CommandReportKind.Acknowledged => (CommandStatus.Acknowledged, (DateTimeOffset?)now),
            CommandReportKind.Error => (CommandStatus.Error, now),
            CommandReportKind.NotNow => (CommandStatus.NotNow, (DateTimeOffset?)null),
            _ => throw new ArgumentOutOfRangeException(nameof(report), report.Kind, "Unknown report kind."),
        };
        // NotNow only moves a command that is out with the device; a repeated NotNow is a replay.
        CommandStatus[] from = report.Kind == CommandReportKind.NotNow ? [CommandStatus.Sent] : CommandStatuses.Open;
        var error = report.Kind == CommandReportKind.Error ? Truncate(report.Error ?? "The device reported an error.") : null;

        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        if (!await QueueStatements.For(db).RecordAsync(db, command.Id, status, finished, error, from, cancellationToken))
            return (ReportOutcome.AlreadyRecorded, command);
        await transaction.CommitAsync(cancellationToken);

        command.Status = status;
        command.FinishedAt = finished;
        command.Error = error;
        return (ReportOutcome.Recorded, command);
    }

    /// <summary>Drops every open command of a device (re-enrolment, unenrolment) and returns them as they were.</summary>
    public Task<List<Command>> ClearAsync(Guid deviceId, string why, CancellationToken cancellationToken = default) =>
        Drop(OpenCommands.Where(c => c.DeviceId == deviceId), CommandStatus.Canceled, why, cancellationToken);

    /// <summary>Cancels one command the device does not have; false when it is out with the device or finished.</summary>
    public async Task<bool> CancelAsync(Guid commandId, string why, CancellationToken cancellationToken = default) =>
        (await Drop(OpenCommands.Where(c => c.Id == commandId && c.Status != CommandStatus.Sent), CommandStatus.Canceled, why, cancellationToken)).Count > 0;

    /// <summary>Drops one open command whatever its delivery state (the rules now refuse it).</summary>
    public async Task<bool> WithdrawAsync(Guid commandId, string why, CancellationToken cancellationToken = default) =>
        (await Drop(OpenCommands.Where(c => c.Id == commandId), CommandStatus.Canceled, why, cancellationToken)).Count > 0;

    /// <summary>Marks open commands past their lifetime expired, at most <paramref name="limit"/> at a time.</summary>
    public Task<List<Command>> ExpireAsync(int limit, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        return Drop(OpenCommands.Where(c => c.ExpiresAt <= now).OrderBy(c => c.ExpiresAt).Take(limit),
            CommandStatus.Expired, "The device did not fetch the command before it expired.", cancellationToken);
    }

    private IQueryable<Command> OpenCommands
    {
        get
        {
            var open = CommandStatuses.Open;
            return db.Commands.Where(c => open.Contains(c.Status));
        }
    }

    private async Task<List<Command>> Drop(IQueryable<Command> openCommands, CommandStatus to, string why, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var open = CommandStatuses.Open;
        var dropped = await openCommands.AsNoTracking().ToListAsync(cancellationToken);
        if (dropped.Count == 0) return dropped;

        var ids = dropped.Select(c => c.Id).ToList();
        var changed = await db.Commands
            .Where(c => EF.Parameter(ids).Contains(c.Id) && open.Contains(c.Status))
            .ExecuteUpdateAsync(set => set
                .SetProperty(c => c.Status, to)
                .SetProperty(c => c.FinishedAt, now)
                .SetProperty(c => c.Error, why), cancellationToken);
        if (changed != dropped.Count)
        {
            // Some were finished meanwhile by a report; return only those this call dropped.
            var stillDropped = await db.Commands.AsNoTracking()
                .Where(c => EF.Parameter(ids).Contains(c.Id) && c.Status == to && c.FinishedAt == now)
                .Select(c => c.Id).ToListAsync(cancellationToken);
            dropped = dropped.Where(c => stillDropped.Contains(c.Id)).ToList();
        }
        return dropped;
    }

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000];
}
