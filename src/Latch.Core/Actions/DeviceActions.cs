using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Secrets;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Actions;

/// <summary>
/// Admission and lifecycle of remote actions (SPEC §5): rules → action records → queued commands, in one
/// transaction, committed before the caller answers; then each device's fetches and reports move its action.
/// </summary>
public sealed class DeviceActions(LatchDbContext db, CommandQueue queue, BulkInsert bulk, SecretProtector secrets, IDeviceWakeUp wakeUp,
    CommandPlanner planner, TimeProvider clock)
{
    public async Task<BulkActionOutcome> RequestAsync(ActionRequestInput input, CancellationToken cancellationToken = default)
    {
        Validate(input);
        try
        {
            return await RequestOnceAsync(input, cancellationToken);
        }
        catch (Exception exception) when (IsUniqueViolation(exception))
        {
            // Another request put the same action in flight for one of these devices between our read and our
            // write (the one-in-flight index stopped it). Nothing of ours was written; reading again sorts it out.
            db.ChangeTracker.Clear();
            return await RequestOnceAsync(input, cancellationToken);
        }
    }

    private static void Validate(ActionRequestInput input)
    {
        if (string.IsNullOrWhiteSpace(input.RequestedBy))
            throw new ActionRequestException("Every action request names who asked for it.");
        if (!Enum.IsDefined(input.Action))
            throw new ActionRequestException($"Unknown remote action '{input.Action}'.");
        if (input.DeviceIds.Count == 0)
            throw new ActionRequestException("Name at least one device.");
        if (input.IdempotencyKey is { Length: 0 or > 200 })
            throw new ActionRequestException("An idempotency key has 1 to 200 characters.");
    }

    private async Task<BulkActionOutcome> RequestOnceAsync(ActionRequestInput input, CancellationToken cancellationToken)
    {
        var seen = new HashSet<Guid>();
        var distinct = new List<Guid>(input.DeviceIds.Count);
        var duplicates = new List<Guid>();
        foreach (var id in input.DeviceIds)
            (seen.Add(id) ? distinct : duplicates).Add(id);

        var fingerprint = input.IdempotencyKey is null ? null : Fingerprint(input, distinct);
        if (input.IdempotencyKey is not null && await ReplayAsync(input, fingerprint!, duplicates, cancellationToken) is { } replay)
            return replay;

        var request = new ActionRequest
        {
            Action = input.Action,
            RequestedBy = input.RequestedBy,
            RequestedAt = clock.GetUtcNow(),
            LostDeviceConfirmed = input.LostDeviceConfirmed,
            DeviceCount = distinct.Count,
            IdempotencyKey = input.IdempotencyKey,
            Fingerprint = fingerprint,
        };

        using var trace = LatchTelemetry.Source.StartActivity("DeviceActions.Request");
        trace?.SetTag("latch.action", input.Action.ToString());
        trace?.SetTag("latch.devices", distinct.Count);

        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var phase = LatchTelemetry.Source.StartActivity("load devices");
        var devices = await LoadDevicesAsync(distinct, cancellationToken);
        var inFlight = await DevicesWithActionInFlightAsync(input.Action, devices.Keys, cancellationToken);
        phase?.Dispose();

        phase = LatchTelemetry.Source.StartActivity("evaluate rules");
        var queued = new List<QueuedAction>();
        var refused = new List<RefusedAction>();
        var alreadyPending = new List<Guid>();
        var notFound = new List<Guid>();
        var actions = new List<DeviceAction>(distinct.Count);
        var commands = new List<Command>(distinct.Count);
        foreach (var id in distinct)
        {
            if (!devices.TryGetValue(id, out var device)) { notFound.Add(id); continue; }
            if (inFlight.Contains(id)) { alreadyPending.Add(id); continue; }

            var verdict = ActionRules.Evaluate(input.Action, device, input.LostDeviceConfirmed);
            if (!verdict.IsSupported)
            {
                var refusal = DeviceAction.Refuse(request, id, verdict.Reason!);
                actions.Add(refusal);
                refused.Add(new RefusedAction(id, refusal.Id, verdict.Reason!));
                continue;
            }
            var commandId = Guid.CreateVersion7();
            var action = DeviceAction.Queue(request, id, commandId, MakePasscodeFor(input.Action, device));
            actions.Add(action);
            commands.Add(queue.Create(id, CommandTypeOf(input.Action), CommandPriority.Urgent, action.Id, id: commandId));
            queued.Add(new QueuedAction(id, action.Id));
        }

        phase?.Dispose();

        if (input.IdempotencyKey is not null)
            request.UnrecordedOutcome = JsonSerializer.Serialize(new UnrecordedDevices(notFound, alreadyPending));
        request.QueuedCount = queued.Count;
        request.NotSupportedCount = refused.Count;
        request.AlreadyPendingCount = alreadyPending.Count;
        request.NotFoundCount = notFound.Count;
        db.ActionRequests.Add(request);
        db.AuditEvents.Add(new AuditEvent
        {
            At = request.RequestedAt,
            Actor = request.RequestedBy,
            Kind = AuditKinds.ActionRequested,
            ActionRequestId = request.Id,
            DeviceId = distinct.Count == 1 ? distinct[0] : null,
            Detail = $"{input.Action} for {distinct.Count} device(s): {queued.Count} queued, {refused.Count} not supported, " +
                     $"{alreadyPending.Count} already pending, {notFound.Count} not found, {duplicates.Count} duplicate(s) ignored.",
        });
        using (LatchTelemetry.Source.StartActivity("write actions"))
        {
            await db.SaveChangesAsync(cancellationToken);
            await bulk.InsertAsync(db, actions, cancellationToken);
        }
        using (LatchTelemetry.Source.StartActivity("enqueue commands"))
            await queue.EnqueueAsync(commands, cancellationToken);
        using (LatchTelemetry.Source.StartActivity("commit"))
            await transaction.CommitAsync(cancellationToken);

        trace?.SetTag("latch.queued", queued.Count);
        if (queued.Count > 0)
            await wakeUp.WakeAsync(queued.Select(q => q.DeviceId).ToList(), cancellationToken);
        return new BulkActionOutcome(request.Id, queued, refused, alreadyPending, notFound, duplicates);
    }

    // The first request's outcome, rebuilt from its action rows and what it kept of the rest; null when the key is new.
    private async Task<BulkActionOutcome?> ReplayAsync(ActionRequestInput input, string fingerprint, List<Guid> duplicates,
        CancellationToken cancellationToken)
    {
        var earlier = await db.ActionRequests.AsNoTracking()
            .FirstOrDefaultAsync(r => r.RequestedBy == input.RequestedBy && r.IdempotencyKey == input.IdempotencyKey, cancellationToken);
        if (earlier is null) return null;
        if (earlier.Fingerprint != fingerprint)
            throw new ActionRequestException(
                $"The idempotency key '{input.IdempotencyKey}' was already used for a different request; use a new key for a new request.");

        var actions = await db.DeviceActions.AsNoTracking().Where(a => a.RequestId == earlier.Id)
            .Select(a => new { a.DeviceId, a.Id, a.CommandId, a.Reason }).ToListAsync(cancellationToken);
        var rest = JsonSerializer.Deserialize<UnrecordedDevices>(earlier.UnrecordedOutcome ?? "{}") ?? new UnrecordedDevices([], []);
        return new BulkActionOutcome(
            earlier.Id,
            actions.Where(a => a.CommandId is not null).Select(a => new QueuedAction(a.DeviceId, a.Id)).ToList(),
            actions.Where(a => a.CommandId is null).Select(a => new RefusedAction(a.DeviceId, a.Id, a.Reason ?? "")).ToList(),
            rest.AlreadyPending ?? [],
            rest.NotFound ?? [],
            duplicates);
    }

    private static string Fingerprint(ActionRequestInput input, List<Guid> distinct)
    {
        var text = $"{input.Action}|{input.LostDeviceConfirmed}|{string.Join(',', distinct.Order())}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private sealed record UnrecordedDevices(List<Guid>? NotFound, List<Guid>? AlreadyPending);

    /// <summary>
    /// The next command to hand to a device, with its action moved to active. The rules run again first:
    /// a device whose facts changed since the request gets its action withdrawn as notSupported instead.
    /// </summary>
    public async Task<Command?> NextCommandAsync(Guid deviceId, bool newSession, CancellationToken cancellationToken = default)
    {
        // Most check-ins find nothing to do: the plan answers those from memory or one read, without a write transaction.
        while (await PlanNextCommandAsync(deviceId, newSession, cancellationToken) is { } plan)
            if (await DeliverAsync(plan, cancellationToken) is { } command)
                return command;
        return null;
    }

    /// <summary>
    /// Reads and delivers the device's next command at once, on this scope's context: meant for a write batch
    /// (<see cref="Data.WriteBatcher"/>), where the read sees what the batch's transaction sees and runs on the writer's
    /// connection, whose page cache the batch's own commits keep warm. Commands the rules now refuse are withdrawn and
    /// looked past. <c>QueueEmpty</c> is true when nothing could be handed out because nothing is open for the device.
    /// </summary>
    public async Task<(Command? Command, bool QueueEmpty)> DeliverNextAsync(Guid deviceId, bool newSession,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken); // the batch's, inside one
        var delivered = (Command: (Command?)null, QueueEmpty: false);
        for (var attempt = 0; attempt < MaxPlansPerDelivery; attempt++)
        {
            if (await planner.PlanNextCommandAsync(db, deviceId, newSession, cancellationToken) is not { } plan)
            {
                delivered = (null, true);
                break;
            }
            if (await DeliverAsync(plan, cancellationToken) is { } command)
            {
                delivered = (command, false);
                break;
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return delivered;
    }

    // A device's queue that keeps moving under one delivery (other writers, or many withdrawn commands) waits for its next check-in.
    private const int MaxPlansPerDelivery = 20;

    /// <summary>What delivering the device's next command will write, read beside other requests (<see cref="CommandPlanner"/>).</summary>
    public Task<PlannedDelivery?> PlanNextCommandAsync(Guid deviceId, bool newSession, CancellationToken cancellationToken = default) =>
        planner.PlanNextCommandAsync(deviceId, newSession, cancellationToken);

    /// <summary>
    /// Writes a planned delivery: the command claimed (sent) and its action active — or, when the rules now refuse
    /// it, the action withdrawn. Returns the command to send, or null when there is none in this plan (withdrawn, or
    /// another request moved the command since it was read): plan again then. The claim is a conditional UPDATE on
    /// the command's state, and an action only changes together with its command, so a stale plan writes nothing.
    /// </summary>
    public async Task<Command?> DeliverAsync(PlannedDelivery plan, CancellationToken cancellationToken = default)
    {
        var (command, action, verdict) = plan;
        var now = clock.GetUtcNow();
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        if (verdict is { IsSupported: false } refused)
        {
            if (await queue.WithdrawAsync(command.Id, refused.Reason!, cancellationToken))
            {
                var withdrawn = db.DeviceActions.Attach(action!.Copy()).Entity;
                withdrawn.Withdraw(refused.Reason!, now);
                await db.SaveChangesAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        if (await queue.ClaimAsync(command.Copy(), cancellationToken) is not { } claimed) return null;
        if (action is { State: DeviceActionState.Pending })
        {
            var sent = action.Copy();
            sent.MarkSent(now);
            await QueueStatements.For(db).SaveMovedAsync(db, sent, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return claimed;
    }

    /// <summary>
    /// Records a device's report on one of its commands and moves the action to match. Idempotent. Reads on this
    /// scope's context, so inside a write batch the read is the writer's (see <see cref="DeliverNextAsync"/>).
    /// </summary>
    /// <returns>What happened, and the command as it now is (null when it is not this device's).</returns>
    public async Task<(ReportOutcome Outcome, Command? Command)> RecordReportAsync(Guid deviceId, Guid commandId, CommandReport report,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken); // the read and its write together
        if (await planner.PlanReportAsync(db, deviceId, commandId, cancellationToken) is not { } plan) return (ReportOutcome.UnknownCommand, null);
        var recorded = await ApplyReportAsync(plan, report, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return recorded;
    }

    /// <summary>What recording a report will write, read beside other requests (<see cref="CommandPlanner"/>).</summary>
    public Task<PlannedReport?> PlanReportAsync(Guid deviceId, Guid commandId, CancellationToken cancellationToken = default) =>
        planner.PlanReportAsync(deviceId, commandId, cancellationToken);

    /// <summary>Writes a planned report: the command's new state (conditional, so a replay changes nothing) and its action's.</summary>
    public async Task<(ReportOutcome Outcome, Command Command)> ApplyReportAsync(PlannedReport plan, CommandReport report,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var (outcome, command) = await queue.RecordAsync(plan.Command.Copy(), report, cancellationToken);
        if (outcome == ReportOutcome.Recorded && plan.Action is { } read && !read.State.IsFinal())
        {
            var action = read.Copy();
            var now = clock.GetUtcNow();
            switch (report.Kind)
            {
                case CommandReportKind.NotNow when action.State == DeviceActionState.Active:
                    action.Defer(now);
                    break;
                case CommandReportKind.Acknowledged:
                    if (action.State == DeviceActionState.Pending) action.MarkSent(now);
                    action.Complete(now);
                    break;
                case CommandReportKind.Error:
                    action.Fail(command.Error!, now);
                    break;
            }
            await QueueStatements.For(db).SaveMovedAsync(db, action, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (outcome, command);
    }

    /// <summary>An administrator cancels an action whose command the device has not fetched yet.</summary>
    public async Task CancelAsync(Guid actionId, string canceledBy, CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var action = await db.DeviceActions.FirstOrDefaultAsync(a => a.Id == actionId, cancellationToken)
            ?? throw new ActionRequestException($"There is no action {actionId}.");
        if (action.State != DeviceActionState.Pending)
            throw new ActionRequestException($"Only a pending action can be canceled; this one is {action.State}.");
        if (action.CommandId is not { } commandId || !await queue.CancelAsync(commandId, $"Canceled by {canceledBy}.", cancellationToken))
            throw new ActionRequestException("The device has already fetched this command, so it can no longer be canceled.");
        action.Cancel(canceledBy, clock.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A device enrolled again: its old queue is dropped, because commands were addressed to the old enrolment.</summary>
    public Task ReenrollAsync(Guid deviceId, CancellationToken cancellationToken = default) =>
        DropQueueAsync(deviceId, "The device enrolled again before it ran the command; send the action again.",
            AuditKinds.DeviceReenrolled, "The device enrolled again", enrolledNow: true, cancellationToken);

    /// <summary>A device left management (Apple CheckOut): its queue is dropped and its open actions fail.</summary>
    public Task UnenrollAsync(Guid deviceId, CancellationToken cancellationToken = default) =>
        DropQueueAsync(deviceId, "The device left management (its management profile was removed) before it ran the command.",
            AuditKinds.DeviceUnenrolled, "The device left management", enrolledNow: false, cancellationToken);

    private async Task DropQueueAsync(Guid deviceId, string why, string auditKind, string what, bool enrolledNow,
        CancellationToken cancellationToken)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var now = clock.GetUtcNow();
        var dropped = await queue.ClearAsync(deviceId, why, cancellationToken);
        await FailActionsAsync(dropped, why, now, cancellationToken);
        if (enrolledNow)
            await db.Devices.Where(d => d.Id == deviceId)
                .ExecuteUpdateAsync(set => set.SetProperty(d => d.EnrolledAt, now), cancellationToken);
        db.AuditEvents.Add(new AuditEvent
        {
            At = now, Actor = "device", Kind = auditKind, DeviceId = deviceId,
            Detail = $"{what}; {dropped.Count} queued command(s) dropped.",
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Expires commands past their lifetime and fails their actions; returns how many expired.</summary>
    public async Task<int> ExpireOverdueAsync(int limit = 1_000, CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var expired = await queue.ExpireAsync(limit, cancellationToken);
        await FailActionsAsync(expired, "The device did not check in before the command expired.", clock.GetUtcNow(), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return expired.Count;
    }

    /// <summary>The newest action of each kind for a device (what Graph's <c>deviceActionResults</c> shows).</summary>
    public async Task<IReadOnlyList<DeviceAction>> LatestForDeviceAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        var actions = await db.DeviceActions.AsNoTracking().Where(a => a.DeviceId == deviceId).ToListAsync(cancellationToken);
        return actions.GroupBy(a => a.Action)
            .Select(g => g.OrderByDescending(a => a.RequestedAt).ThenByDescending(a => a.Id).First())
            .OrderBy(a => a.Action)
            .ToList();
    }

    /// <summary>Decrypts an action's temporary passcode for someone allowed to see it; every reveal is audited.</summary>
    public async Task<string?> RevealPasscodeAsync(Guid actionId, string revealedTo, CancellationToken cancellationToken = default)
    {
        var action = await db.DeviceActions.AsNoTracking().FirstOrDefaultAsync(a => a.Id == actionId, cancellationToken)
            ?? throw new ActionRequestException($"There is no action {actionId}.");
        if (action.ProtectedPasscode is null) return null;
        db.AuditEvents.Add(new AuditEvent
        {
            At = clock.GetUtcNow(), Actor = revealedTo, Kind = AuditKinds.PasscodeRevealed,
            DeviceId = action.DeviceId, DeviceActionId = action.Id, ActionRequestId = action.RequestId,
            Detail = "Temporary passcode revealed.",
        });
        await db.SaveChangesAsync(cancellationToken);
        return secrets.Unprotect(action.ProtectedPasscode);
    }

    // SQLSTATE 23505 is unique_violation; SQLite never gets here because its write transactions are serialised.
    private static bool IsUniqueViolation(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is DbException { SqlState: "23505" }) return true;
        return false;
    }

    private async Task FailActionsAsync(List<Command> dropped, string why, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var actionIds = dropped.Where(c => c.DeviceActionId is not null).Select(c => c.DeviceActionId!.Value).ToList();
        if (actionIds.Count == 0) return;
        var actions = await db.DeviceActions.Where(a => EF.Parameter(actionIds).Contains(a.Id)).ToListAsync(cancellationToken);
        foreach (var action in actions.Where(a => !a.State.IsFinal()))
            action.Fail(why, now);
    }

    // EF.Parameter sends the ids as one array parameter (json_each on SQLite, = ANY on PostgreSQL): one statement
    // for any number of devices, where a parameter per id would hit the providers' limits and bind slowly.
    // Only the facts the rules read are loaded: a bulk request over 100,000 devices needs no serial numbers.
    private async Task<Dictionary<Guid, Device>> LoadDevicesAsync(List<Guid> ids, CancellationToken cancellationToken) =>
        await db.Devices.AsNoTracking().Where(d => EF.Parameter(ids).Contains(d.Id))
            .Select(d => new Device
            {
                Id = d.Id, Name = d.Name, Platform = d.Platform, OsVersion = d.OsVersion, Channel = d.Channel,
                EnrolledByUserId = d.EnrolledByUserId, CurrentUserId = d.CurrentUserId, PasscodeSet = d.PasscodeSet,
                AzureAdJoined = d.AzureAdJoined, Supervised = d.Supervised, HasUnlockToken = d.HasUnlockToken, IsLost = d.IsLost,
                UnenrolledAt = d.UnenrolledAt,
            })
            .ToDictionaryAsync(d => d.Id, cancellationToken);

    private async Task<HashSet<Guid>> DevicesWithActionInFlightAsync(RemoteAction action, IEnumerable<Guid> deviceIds,
        CancellationToken cancellationToken)
    {
        var ids = deviceIds.ToList();
        var busy = await db.DeviceActions
            .Where(a => a.Action == action && (a.State == DeviceActionState.Pending || a.State == DeviceActionState.Active)
                        && EF.Parameter(ids).Contains(a.DeviceId))
            .Select(a => a.DeviceId).ToListAsync(cancellationToken);
        return [.. busy];
    }

    // Android device administrators set a passcode that Latch makes; iOS clears it and Windows makes its own.
    private string? MakePasscodeFor(RemoteAction action, Device device) =>
        action == RemoteAction.ResetPasscode && device.Platform == Platform.Android
            ? secrets.Protect(TemporaryPasscode.Generate())
            : null;

    private static string CommandTypeOf(RemoteAction action) => action switch
    {
        RemoteAction.RemoteLock => CommandTypes.RemoteLock,
        RemoteAction.ResetPasscode => CommandTypes.ResetPasscode,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };
}

/// <summary>What delivering a device's next command will write, as read beforehand (<see cref="DeviceActions.PlanNextCommandAsync"/>).</summary>
/// <param name="Verdict">The rules' verdict at delivery, for an action still pending; null otherwise.</param>
public sealed record PlannedDelivery(Command Command, DeviceAction? Action, RuleVerdict? Verdict);

/// <summary>A device's report about to be recorded, as read beforehand (<see cref="DeviceActions.PlanReportAsync"/>).</summary>
/// <param name="OthersWaiting">
/// Whether the device had other commands to fetch in this session when the report was read. When it had none, a channel
/// may end the session without looking again: a command queued since then wakes the device for a new session.
/// </param>
/// <param name="OthersOpen">Whether the device had any other open command, NotNow ones included.</param>
public sealed record PlannedReport(Command Command, DeviceAction? Action, bool OthersWaiting = true, bool OthersOpen = true);
