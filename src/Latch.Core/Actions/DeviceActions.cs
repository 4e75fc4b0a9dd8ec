using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Secrets;
using Latch.Core.Sessions;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Actions;

/// <summary>
/// Admission and lifecycle of remote actions (SPEC §5): rules → action records → queued commands, in one
/// transaction, committed before the caller answers; then each device's fetches and reports move its action.
/// </summary>
public sealed class DeviceActions(LatchDbContext db, CommandQueue queue, BulkInsert bulk, SecretProtector secrets, IDeviceWakeUp wakeUp,
    DatabaseErrors errors, TimeProvider clock)
{
    public async Task<BulkActionOutcome> RequestAsync(ActionRequestInput input, CancellationToken cancellationToken = default)
    {
        Validate(input);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RequestOnceAsync(input, cancellationToken);
            }
            catch (Exception exception) when (attempt < MaxRequestAttempts && errors.IsUniqueViolation(db, exception))
            {
                // Another request wrote first between our read and our write: the same idempotency key (a client's
                // retries racing each other), or the same action in flight for one of these devices (the one-in-flight
                // index). Nothing of ours was written; reading again gives the first request's answer, or skips the
                // devices it already covers.
                db.ChangeTracker.Clear();
            }
        }
    }

    // Each attempt after the first reads what the one that beat it committed, so a second rarely fails; a third never should.
    private const int MaxRequestAttempts = 3;

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
    /// Hands the device up to <paramref name="maxCommands"/> commands, next first, each claimed (sent) with its action
    /// active. Before a command is claimed the rules run again — a device whose facts changed since the request gets
    /// the action withdrawn as notSupported — and the channel's encoder says whether the device can run it: one it
    /// cannot run fails with the encoder's reason and is never recorded as sent. Inside a device session's write
    /// (<see cref="Sessions.DeviceSessions"/>). <c>QueueEmpty</c>: nothing was open for the device in this session.
    /// </summary>
    internal async Task<(List<TWire> Commands, bool QueueEmpty)> DeliverAsync<TWire>(Guid deviceId, bool newSession, int maxCommands,
        ICommandEncoder<TWire> encoder, CancellationToken cancellationToken)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var sent = new List<TWire>(maxCommands);
        var claimed = new HashSet<Guid>();
        var queueEmpty = false;
        // One loop. A claimed command stays open, so a later read finds it again among the first ones and passes it by;
        // a read is repeated only when another request moved a command under this one, or when commands were withdrawn
        // or failed and the read may have left more behind.
        for (var read = 0; read < MaxReadsPerDelivery && sent.Count < maxCommands; read++)
        {
            var next = await queue.NextAsync(deviceId, newSession, maxCommands, cancellationToken);
            queueEmpty = next.Count == 0;
            var readAgain = false;
            foreach (var queued in next.Where(q => !claimed.Contains(q.Command.Id)))
            {
                var delivery = await DeliverOneAsync(queued, encoder, cancellationToken);
                if (delivery.Stale) { readAgain = true; break; }
                if (delivery.Sent)
                {
                    sent.Add(delivery.Wire!);
                    claimed.Add(queued.Command.Id);
                    if (sent.Count == maxCommands) break;
                }
                else
                {
                    readAgain = next.Count == maxCommands; // a full read may have left more behind the one dropped
                }
            }
            if (!readAgain) break;
        }
        await transaction.CommitAsync(cancellationToken);
        return (sent, queueEmpty);
    }

    // A device's queue that keeps moving under one delivery (other writers, or many withdrawn commands) waits for its next check-in.
    private const int MaxReadsPerDelivery = 20;

    private readonly record struct Delivery<TWire>(bool Sent, bool Stale, TWire? Wire);

    private async Task<Delivery<TWire>> DeliverOneAsync<TWire>(QueuedCommand queued, ICommandEncoder<TWire> encoder,
        CancellationToken cancellationToken)
    {
        var (command, action, device, lostConfirmed) = queued;
        var now = clock.GetUtcNow();
        if (action is { State: DeviceActionState.Pending } && ActionRules.Evaluate(action.Action, device, lostConfirmed) is { IsSupported: false } refused)
        {
            if (await queue.WithdrawAsync(command.Id, refused.Reason!, cancellationToken))
            {
                action.Withdraw(refused.Reason!, now);
                await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
            }
            return default;
        }

        var encoding = encoder.Encode(command, action);
        if (encoding.WhyNot is { } whyNot)
        {
            var (outcome, failed) = await queue.RecordAsync(command, CommandReport.Failed(whyNot), cancellationToken);
            if (outcome == ReportOutcome.Recorded && action is not null && !action.State.IsFinal())
            {
                action.Fail(failed.Error!, now);
                await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
            }
            return default;
        }

        if (await queue.ClaimAsync(command, cancellationToken) is null) return new Delivery<TWire>(Sent: false, Stale: true, default);
        if (action is { State: DeviceActionState.Pending })
        {
            action.MarkSent(now);
            await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
        }
        return new Delivery<TWire>(Sent: true, Stale: false, encoding.Wire);
    }

    /// <summary>
    /// Records a device's report on one of its commands and moves the action to match, with the facts and any secret
    /// the device answered with. Idempotent: a replayed report, or one on a finished command, changes nothing; a command
    /// that is not this device's is <see cref="ReportOutcome.UnknownCommand"/> and changes nothing either.
    /// </summary>
    internal async Task<(ReportOutcome Outcome, ReportedCommand? Reported)> RecordReportAsync(Guid deviceId, DeviceReport report,
        CancellationToken cancellationToken)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken); // the read and its writes together
        if (await queue.ReportedAsync(deviceId, report.CommandId, cancellationToken) is not { } reported)
            return (ReportOutcome.UnknownCommand, null);
        var (outcome, command) = await queue.RecordAsync(reported.Command, report.Report, cancellationToken);
        if (outcome == ReportOutcome.Recorded)
        {
            if (reported.Action is { } action && !action.State.IsFinal())
            {
                Move(action, report, command);
                await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
            }
            if (report is { Facts: { } facts, Report.Kind: CommandReportKind.Acknowledged })
            {
                var device = await db.Devices.FirstAsync(d => d.Id == deviceId, cancellationToken);
                facts.ApplyTo(device);
                await db.SaveChangesAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return (outcome, reported);
    }

    /// <summary>Facts a device sent with a message of its own (not a report on a command): applied to the device as they are.</summary>
    internal async Task ApplyFactsAsync(Guid deviceId, DeviceFacts facts, CancellationToken cancellationToken)
    {
        if (await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId, cancellationToken) is not { } device) return;
        facts.ApplyTo(device);
        await db.SaveChangesAsync(cancellationToken);
    }

    private void Move(DeviceAction action, DeviceReport report, Command command)
    {
        var now = clock.GetUtcNow();
        switch (report.Report.Kind)
        {
            case CommandReportKind.NotNow when action.State == DeviceActionState.Active:
                action.Defer(now);
                break;
            case CommandReportKind.Acknowledged:
                if (action.State == DeviceActionState.Pending) action.MarkSent(now);
                if (report.Secret is { } secret) action.KeepDevicePasscode(secrets.Protect(secret));
                action.Complete(now);
                break;
            case CommandReportKind.Error:
                action.Fail(command.Error!, now);
                break;
        }
    }

    /// <summary>An administrator cancels an action whose command the device has not fetched yet.</summary>
    public async Task CancelAsync(Guid actionId, string canceledBy, CancellationToken cancellationToken = default)
    {
        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        var action = await db.DeviceActions.AsNoTracking().FirstOrDefaultAsync(a => a.Id == actionId, cancellationToken)
            ?? throw new ActionRequestException($"There is no action {actionId}.");
        if (action.State != DeviceActionState.Pending)
            throw new ActionRequestException($"Only a pending action can be canceled; this one is {action.State}.");
        if (action.CommandId is not { } commandId || !await queue.CancelAsync(commandId, $"Canceled by {canceledBy}.", cancellationToken))
            throw new ActionRequestException("The device has already fetched this command, so it can no longer be canceled.");
        action.Cancel(canceledBy, clock.GetUtcNow());
        await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>How many of a request's devices are in each state: one grouped read, whatever the request's size.</summary>
    public async Task<IReadOnlyDictionary<DeviceActionState, int>> CountsAsync(Guid requestId, CancellationToken cancellationToken = default) =>
        (await db.DeviceActions.AsNoTracking().Where(a => a.RequestId == requestId)
            .GroupBy(a => a.State).Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken))
        .ToDictionary(g => g.Key, g => g.Count);

    /// <summary>
    /// Cancels every action of a request that is still pending (its command not fetched yet); actions already sent,
    /// or fetched while this runs, keep going. Returns how many were canceled.
    /// </summary>
    public async Task<int> CancelPendingAsync(Guid requestId, string canceledBy, CancellationToken cancellationToken = default)
    {
        var pending = await db.DeviceActions.AsNoTracking()
            .Where(a => a.RequestId == requestId && a.State == DeviceActionState.Pending)
            .Select(a => a.Id).ToListAsync(cancellationToken);
        var canceled = 0;
        foreach (var actionId in pending)
        {
            try
            {
                await CancelAsync(actionId, canceledBy, cancellationToken);
                canceled++;
            }
            catch (ActionRequestException) { } // fetched by its device meanwhile: it is no longer pending
        }
        return canceled;
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

    private async Task FailActionsAsync(List<Command> dropped, string why, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var actionIds = dropped.Where(c => c.DeviceActionId is not null).Select(c => c.DeviceActionId!.Value).ToList();
        if (actionIds.Count == 0) return;
        var actions = await db.DeviceActions.AsNoTracking().Where(a => EF.Parameter(actionIds).Contains(a.Id)).ToListAsync(cancellationToken);
        foreach (var action in actions.Where(a => !a.State.IsFinal()))
        {
            action.Fail(why, now);
            await ActionMoves.For(db).SaveAsync(db, action, cancellationToken);
        }
    }

    // EF.Parameter sends the ids as one array parameter (json_each on SQLite, = ANY on PostgreSQL): one statement
    // for any number of devices, where a parameter per id would hit the providers' limits and bind slowly.
    // Only the facts the rules read are loaded: a bulk request over 100,000 devices needs no serial numbers.
    private async Task<Dictionary<Guid, Device>> LoadDevicesAsync(List<Guid> ids, CancellationToken cancellationToken) =>
        await db.Devices.AsNoTracking().Where(d => EF.Parameter(ids).Contains(d.Id))
            .Select(d => new Device
            {
                Id = d.Id, Name = d.Name, Platform = d.Platform, OsVersion = d.OsVersion, Channel = d.Channel,
                EnrolledByUserId = d.EnrolledByUserId, CurrentUserId = d.CurrentUserId, OtherUserSignedIn = d.OtherUserSignedIn, PasscodeSet = d.PasscodeSet,
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
