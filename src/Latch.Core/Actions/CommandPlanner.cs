using Latch.Core.Commands;
using Latch.Core.Data.Prepared;
using Latch.Core.Rules;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Actions;

/// <summary>
/// The reads of a device's command round trip: what delivering its next command or recording its report will write.
/// Made either beside other requests on <see cref="OpenReaders"/> (no scoped context, no write transaction), or on a
/// given context — the single writer's, inside its batch, where the Apple channel reads and writes a request in one
/// operation. The writes themselves are <see cref="DeviceActions"/>' (<see cref="DeviceActions.DeliverAsync"/>,
/// <see cref="DeviceActions.ApplyReportAsync"/>).
/// </summary>
public sealed class CommandPlanner(OpenReaders readers, QuietDevices quiet, TimeProvider clock)
{
    /// <summary>
    /// Everything <see cref="DeviceActions.NextCommandAsync"/> reads — the next command, its action, the rules' verdict on the device's
    /// facts now — without writing: a device channel reads this in parallel with other requests and hands only the
    /// writes (<see cref="DeviceActions.DeliverAsync"/>) to the single writer. Null when nothing is queued.
    /// </summary>
    public Task<PlannedDelivery?> PlanNextCommandAsync(Guid deviceId, bool newSession, CancellationToken cancellationToken = default) =>
        quiet.ReadUnlessQuietAsync(deviceId, newSession, () => readers.ReadAsync(reader =>
            PlanNextCommandAsync(reader, deviceId, newSession, cancellationToken), cancellationToken));

    /// <summary>
    /// The same read on <paramref name="db"/>'s connection — the writer's, inside its transaction, where the pages it
    /// reads are the ones its last commits wrote (a reader's cache is emptied by every commit of another connection).
    /// </summary>
    public async Task<PlannedDelivery?> PlanNextCommandAsync(DbContext db, Guid deviceId, bool newSession, CancellationToken cancellationToken = default)
    {
        // One statement: the command, its action, the device's facts and whether the request confirmed a lost device.
        if (await QueueStatements.For(db).NextAsync(db, deviceId, newSession, clock.GetUtcNow(), cancellationToken)
            is not var (command, action, device, lostConfirmed)) return null;
        RuleVerdict? verdict = action is { State: DeviceActionState.Pending } pending
            ? ActionRules.Evaluate(pending.Action, device, lostConfirmed ?? false)
            : null;
        return new PlannedDelivery(command, action, verdict);
    }

    /// <summary>
    /// What <see cref="DeviceActions.RecordReportAsync"/> reads — the command, if it is this device's, and its action — without
    /// writing (see <see cref="PlanNextCommandAsync(Guid, bool, CancellationToken)"/>). Null when the command is not this device's.
    /// </summary>
    public Task<PlannedReport?> PlanReportAsync(Guid deviceId, Guid commandId, CancellationToken cancellationToken = default) =>
        readers.ReadAsync(reader => PlanReportAsync(reader, deviceId, commandId, cancellationToken), cancellationToken);

    /// <summary>The same read on <paramref name="db"/>'s connection (see <see cref="PlanNextCommandAsync(DbContext, Guid, bool, CancellationToken)"/>).</summary>
    public async Task<PlannedReport?> PlanReportAsync(DbContext db, Guid deviceId, Guid commandId, CancellationToken cancellationToken = default)
    {
        // One statement: the command, its action, and whether anything else is waiting for the device in this session.
        var found = await QueueStatements.For(db).ReportAsync(db, commandId, clock.GetUtcNow(), cancellationToken);
        return found is not var (command, action, othersWaiting, othersOpen) || command.DeviceId != deviceId
            ? null
            : new PlannedReport(command, action, othersWaiting, othersOpen);
    }
}
