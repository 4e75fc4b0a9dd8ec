using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Tests.Sessions;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Contracts;

/// <summary>The action lifecycle of SPEC §5 over a real database, run unchanged on every storage backend.</summary>
public abstract class DeviceActionsContract(StorageBackend backend) : IAsyncLifetime
{
    private const string Admin = "admin@test.example";
    private LatchTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LatchTestHost.StartAsync(backend, commandLifetime: TimeSpan.FromHours(4));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private Task<BulkActionOutcome> RequestAsync(RemoteAction action, IReadOnlyCollection<Guid> devices, bool lostConfirmed = false) =>
        _host.With<DeviceActions, BulkActionOutcome>(actions => actions.RequestAsync(new ActionRequestInput(action, devices, Admin, lostConfirmed)));

    private Task<Command?> NextAsync(Guid device, bool newSession = true) => _host.NextAsync(device, newSession);

    private Task<ReportOutcome> ReportAsync(Guid device, Guid command, CommandReport report) => _host.ReportAsync(device, command, report);

    private async Task<DeviceAction> ActionAsync(Guid id)
    {
        await using var db = _host.Db();
        return await db.DeviceActions.Include(a => a.Transitions).SingleAsync(a => a.Id == id);
    }

    private async Task<Guid> AddAsync(Platform platform, string? version = null, Action<Device>? adjust = null) =>
        (await _host.AddDeviceAsync(TestDevices.Of(platform, version, adjust))).Id;

    [Fact]
    public async Task Request_MixedSelection_EachDeviceGetsItsOwnOutcome()
    {
        var iphone = await AddAsync(Platform.IOS);
        var mac = await AddAsync(Platform.MacOS);
        var mailOnly = await AddAsync(Platform.Android, adjust: d => d.Channel = ManagementChannel.ExchangeActiveSyncOnly);
        var unknown = Guid.NewGuid();

        var outcome = await RequestAsync(RemoteAction.RemoteLock, [iphone, mac, mailOnly, unknown, iphone]);

        Assert.Equal([iphone], outcome.Queued.Select(q => q.DeviceId));
        Assert.Equal([mac, mailOnly], outcome.NotSupported.Select(r => r.DeviceId));
        Assert.Equal("Remote lock is not supported on macOS.", outcome.NotSupported[0].Reason);
        Assert.Contains("Exchange ActiveSync", outcome.NotSupported[1].Reason);
        Assert.Equal([unknown], outcome.NotFound);
        Assert.Equal([iphone], outcome.Duplicates);

        await using var db = _host.Db();
        var actions = await db.DeviceActions.Where(a => a.RequestId == outcome.RequestId).ToListAsync();
        Assert.Equal(3, actions.Count);
        Assert.Equal(DeviceActionState.Pending, actions.Single(a => a.DeviceId == iphone).State);
        Assert.All(actions.Where(a => a.DeviceId != iphone), a => Assert.Equal(DeviceActionState.NotSupported, a.State));
        Assert.All(actions, a => Assert.Equal(Admin, a.RequestedBy));

        var command = await db.Commands.SingleAsync();
        Assert.Equal((iphone, CommandTypes.RemoteLock, CommandPriority.Urgent, outcome.Queued[0].ActionId),
            (command.DeviceId, command.Type, command.Priority, command.DeviceActionId!.Value));

        var request = await db.ActionRequests.SingleAsync(r => r.Id == outcome.RequestId);
        Assert.Equal((4, 1, 2, 1), (request.DeviceCount, request.QueuedCount, request.NotSupportedCount, request.NotFoundCount));
        var audit = await db.AuditEvents.SingleAsync(e => e.ActionRequestId == outcome.RequestId);
        Assert.Equal((AuditKinds.ActionRequested, Admin), (audit.Kind, audit.Actor));
        Assert.Contains("1 queued, 2 not supported", audit.Detail);
    }

    [Fact]
    public async Task Request_NoDevices_IsRefusedClearly()
    {
        var error = await Assert.ThrowsAsync<ActionRequestException>(() => RequestAsync(RemoteAction.RemoteLock, []));
        Assert.Equal("Name at least one device.", error.Message);
    }

    [Fact]
    public async Task Request_WithoutRequester_IsRefusedClearly()
    {
        var device = await AddAsync(Platform.IOS);
        await Assert.ThrowsAsync<ActionRequestException>(() => _host.With<DeviceActions, BulkActionOutcome>(
            actions => actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [device], " "))));
    }

    [Fact]
    public async Task Request_DeletedDevice_IsNotFound()
    {
        var device = await AddAsync(Platform.IOS);
        await using (var db = _host.Db())
            await db.Devices.Where(d => d.Id == device).ExecuteDeleteAsync();

        var outcome = await RequestAsync(RemoteAction.RemoteLock, [device]);
        Assert.Equal([device], outcome.NotFound);
        Assert.Empty(outcome.Queued);
    }

    [Fact]
    public async Task Request_RepeatWhilePending_QueuesNothingNew()
    {
        var device = await AddAsync(Platform.Android);
        var first = await RequestAsync(RemoteAction.RemoteLock, [device]);
        var again = await RequestAsync(RemoteAction.RemoteLock, [device]);
        await NextAsync(device); // now active: still in flight
        var third = await RequestAsync(RemoteAction.RemoteLock, [device]);
        var otherAction = await RequestAsync(RemoteAction.ResetPasscode, [device]);

        Assert.Single(first.Queued);
        Assert.Equal([device], again.AlreadyPending);
        Assert.Equal([device], third.AlreadyPending);
        Assert.Single(otherAction.Queued);
        await using var db = _host.Db();
        Assert.Equal(2, await db.Commands.CountAsync());
    }

    [Fact]
    public async Task Request_AfterTheLastOneFinished_QueuesAgain()
    {
        var device = await AddAsync(Platform.IOS);
        await RequestAsync(RemoteAction.RemoteLock, [device]);
        var command = await NextAsync(device);
        await ReportAsync(device, command!.Id, CommandReport.Acknowledged);

        var again = await RequestAsync(RemoteAction.RemoteLock, [device]);
        Assert.Single(again.Queued);
    }

    [Fact]
    public async Task Request_FailingHalfway_WritesNothingAtAll()
    {
        var devices = await _host.AddDevicesAsync(1_500, Platform.Android);
        await using (var db = _host.Db())
            await backend.FailCommandInsertsForAsync(db, devices[^1]);

        await Assert.ThrowsAnyAsync<Exception>(() => RequestAsync(RemoteAction.RemoteLock, devices));

        await using var check = _host.Db();
        Assert.Equal(0, await check.ActionRequests.CountAsync());
        Assert.Equal(0, await check.DeviceActions.CountAsync());
        Assert.Equal(0, await check.Commands.CountAsync());
        Assert.Equal(0, await check.AuditEvents.CountAsync());
    }

    [Fact]
    public async Task Request_ThousandsOfDevices_AllQueuedInOneRequest()
    {
        var devices = await _host.AddDevicesAsync(5_000, Platform.WindowsPhone81);
        var outcome = await RequestAsync(RemoteAction.RemoteLock, devices);

        Assert.Equal(5_000, outcome.Queued.Count);
        await using var db = _host.Db();
        Assert.Equal(5_000, await db.Commands.CountAsync(c => c.Status == CommandStatus.Queued));
        Assert.Equal(5_000, await db.DeviceActions.CountAsync(a => a.State == DeviceActionState.Pending));
    }

    [Fact]
    public async Task Lifecycle_PendingActiveDone_EachStepRecorded()
    {
        var device = await AddAsync(Platform.IOS);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;

        _host.Clock.Advance(TimeSpan.FromSeconds(10));
        var command = await NextAsync(device);
        Assert.Equal(DeviceActionState.Active, (await ActionAsync(actionId)).State);

        _host.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(ReportOutcome.Recorded, await ReportAsync(device, command!.Id, CommandReport.Acknowledged));
        Assert.Equal(ReportOutcome.AlreadyRecorded, await ReportAsync(device, command.Id, CommandReport.Acknowledged));

        var action = await ActionAsync(actionId);
        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.Equal(LatchTestHost.Start.AddSeconds(15), action.LastUpdatedAt);
        Assert.Equal(
            [(DeviceActionState.Pending, DeviceActionState.Active, 10), (DeviceActionState.Active, DeviceActionState.Done, 15)],
            action.Transitions.OrderBy(t => t.Id).Select(t => (t.From, t.To, (int)(t.At - LatchTestHost.Start).TotalSeconds)));
    }

    [Fact]
    public async Task EveryStateChange_IsInTheAuditTrail_WithWhoMovedIt()
    {
        var first = await AddAsync(Platform.IOS);
        var second = await AddAsync(Platform.IOS);
        var outcome = await RequestAsync(RemoteAction.RemoteLock, [first, second]);
        var command = await NextAsync(first);
        await ReportAsync(first, command!.Id, CommandReport.Acknowledged);
        await _host.With<DeviceActions>(actions => actions.CancelAsync(outcome.Queued[1].ActionId, Admin));

        await using var db = _host.Db();
        var changes = await db.AuditEvents.Where(e => e.Kind == AuditKinds.ActionStateChanged).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(
            [(first, "latch", "RemoteLock: Pending → Active."), (first, "latch", "RemoteLock: Active → Done."), (second, Admin, "RemoteLock: Pending → Canceled.")],
            changes.Select(e => (e.DeviceId!.Value, e.Actor, e.Detail[..e.Detail.IndexOf('.', StringComparison.Ordinal)] + ".")));
    }

    [Fact]
    public async Task Lifecycle_DeviceError_FailsTheActionWithIt()
    {
        var device = await AddAsync(Platform.WindowsPhone81);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        var command = await NextAsync(device);
        await ReportAsync(device, command!.Id, CommandReport.Failed("405: no PIN set on the device"));

        var action = await ActionAsync(actionId);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Equal("405: no PIN set on the device", action.Reason);
    }

    [Fact]
    public async Task Lifecycle_NotNow_BackToPending_ThenSentAgainNextSession()
    {
        var device = await AddAsync(Platform.IOS);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        var command = await NextAsync(device);
        await ReportAsync(device, command!.Id, CommandReport.NotNow);
        Assert.Equal(DeviceActionState.Pending, (await ActionAsync(actionId)).State);
        Assert.Null(await NextAsync(device, newSession: false));

        var again = await NextAsync(device, newSession: true);
        Assert.Equal(command.Id, again!.Id);
        await ReportAsync(device, again.Id, CommandReport.Acknowledged);
        Assert.Equal(DeviceActionState.Done, (await ActionAsync(actionId)).State);
    }

    [Fact]
    public async Task Delivery_FactsChangedSinceTheRequest_ActionWithdrawnWithReason()
    {
        var device = await AddAsync(Platform.Android);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        await using (var db = _host.Db())
            await db.Devices.Where(d => d.Id == device).ExecuteUpdateAsync(s => s.SetProperty(d => d.PasscodeSet, false));

        Assert.Null(await NextAsync(device));

        var action = await ActionAsync(actionId);
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Contains("no PIN or passcode set", action.Reason);
        await using var check = _host.Db();
        Assert.Equal(CommandStatus.Canceled, (await check.Commands.SingleAsync()).Status);
    }

    [Fact]
    public async Task Delivery_WithdrawsWhatTheRulesNowRefuse_AndDeliversTheNextCommandInTheSameAnswer()
    {
        var device = await AddAsync(Platform.Android, "6.0");
        var locked = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        _host.Clock.Advance(TimeSpan.FromSeconds(1)); // the lock is first in the queue
        var reset = (await RequestAsync(RemoteAction.ResetPasscode, [device])).Queued[0].ActionId;
        await using (var db = _host.Db()) // the facts changed so that only the lock is refused now
            await db.Devices.Where(d => d.Id == device).ExecuteUpdateAsync(s => s.SetProperty(d => d.PasscodeSet, false));

        var delivered = await NextAsync(device, newSession: true);
        var again = await NextAsync(device, newSession: false);

        Assert.Equal(DeviceActionState.NotSupported, (await ActionAsync(locked)).State);
        Assert.Equal(DeviceActionState.Active, (await ActionAsync(reset)).State);
        Assert.Equal(CommandTypes.ResetPasscode, delivered!.Type);
        Assert.Equal(CommandStatus.Sent, delivered.Status);
        Assert.Equal(delivered.Id, again?.Id); // in the same session a sent command is offered again until reported
    }

    [Fact]
    public async Task Delivery_LostConfirmationTravelsWithTheRequest()
    {
        var device = await AddAsync(Platform.IOS, adjust: d => d.IsLost = true);
        var refused = await RequestAsync(RemoteAction.ResetPasscode, [device]);
        var confirmed = await RequestAsync(RemoteAction.ResetPasscode, [device], lostConfirmed: true);

        Assert.Contains("marked lost", Assert.Single(refused.NotSupported).Reason);
        Assert.Single(confirmed.Queued);
        Assert.NotNull(await NextAsync(device)); // re-evaluated at delivery with the same confirmation
        Assert.Equal(DeviceActionState.Active, (await ActionAsync(confirmed.Queued[0].ActionId)).State);
    }

    [Fact]
    public async Task Reenrolment_DropsTheQueue_AndFailsItsActions()
    {
        var device = await AddAsync(Platform.IOS);
        var lockId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        var resetId = (await RequestAsync(RemoteAction.ResetPasscode, [device])).Queued[0].ActionId;
        await NextAsync(device);

        await _host.With<DeviceActions>(actions => actions.ReenrollAsync(device));

        Assert.Null(await NextAsync(device));
        foreach (var id in new[] { lockId, resetId })
        {
            var action = await ActionAsync(id);
            Assert.Equal(DeviceActionState.Failed, action.State);
            Assert.Contains("enrolled again", action.Reason);
        }
        await using var db = _host.Db();
        Assert.Single(await db.AuditEvents.Where(e => e.Kind == AuditKinds.DeviceReenrolled && e.DeviceId == device).ToListAsync());
    }

    [Fact]
    public async Task Expiry_UnfetchedCommandExpires_AndItsActionFails()
    {
        var device = await AddAsync(Platform.IOS);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [device])).Queued[0].ActionId;
        _host.Clock.Advance(TimeSpan.FromHours(5));

        Assert.Equal(1, await _host.With<DeviceActions, int>(actions => actions.ExpireOverdueAsync()));
        Assert.Equal(0, await _host.With<DeviceActions, int>(actions => actions.ExpireOverdueAsync()));

        var action = await ActionAsync(actionId);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Contains("expired", action.Reason);
    }

    [Fact]
    public async Task Cancel_BeforeTheDeviceFetchesIt_Cancels_AfterIsRefused()
    {
        var first = await AddAsync(Platform.IOS);
        var second = await AddAsync(Platform.IOS);
        var outcome = await RequestAsync(RemoteAction.RemoteLock, [first, second]);
        await NextAsync(second);

        await _host.With<DeviceActions>(actions => actions.CancelAsync(outcome.Queued[0].ActionId, Admin));
        var error = await Assert.ThrowsAsync<ActionRequestException>(() =>
            _host.With<DeviceActions>(actions => actions.CancelAsync(outcome.Queued[1].ActionId, Admin)));

        Assert.Equal(DeviceActionState.Canceled, (await ActionAsync(outcome.Queued[0].ActionId)).State);
        Assert.Null(await NextAsync(first));
        Assert.Contains("Only a pending action", error.Message);
        Assert.Equal(DeviceActionState.Active, (await ActionAsync(outcome.Queued[1].ActionId)).State);
    }

    [Fact]
    public async Task ResetPasscode_Android_MakesATemporaryPasscode_StoredEncrypted_RevealAudited()
    {
        var device = await AddAsync(Platform.Android, "6.0.1");
        var actionId = (await RequestAsync(RemoteAction.ResetPasscode, [device])).Queued[0].ActionId;

        var stored = (await ActionAsync(actionId)).ProtectedPasscode;
        var passcode = await _host.With<DeviceActions, string?>(actions => actions.RevealPasscodeAsync(actionId, "helpdesk@test.example"));

        Assert.Matches("^[0-9]{8}$", passcode);
        Assert.NotNull(stored);
        Assert.DoesNotContain(passcode!, stored);
        await using var db = _host.Db();
        var reveal = await db.AuditEvents.SingleAsync(e => e.Kind == AuditKinds.PasscodeRevealed);
        Assert.Equal(("helpdesk@test.example", actionId), (reveal.Actor, reveal.DeviceActionId));
        Assert.DoesNotContain(passcode!, reveal.Detail);
    }

    [Fact]
    public async Task ResetPasscode_IOS_MakesNoTemporaryPasscode()
    {
        var device = await AddAsync(Platform.IOS);
        var actionId = (await RequestAsync(RemoteAction.ResetPasscode, [device])).Queued[0].ActionId;
        Assert.Null((await ActionAsync(actionId)).ProtectedPasscode);
        Assert.Null(await _host.With<DeviceActions, string?>(actions => actions.RevealPasscodeAsync(actionId, Admin)));
    }

    [Fact]
    public async Task Report_ForACommandOfAnotherDevice_ChangesNeitherCommandNorAction()
    {
        var victim = await AddAsync(Platform.IOS);
        var attacker = await AddAsync(Platform.IOS);
        var actionId = (await RequestAsync(RemoteAction.RemoteLock, [victim])).Queued[0].ActionId;
        var command = await NextAsync(victim);

        Assert.Equal(ReportOutcome.UnknownCommand, await ReportAsync(attacker, command!.Id, CommandReport.Failed("spoofed")));
        Assert.Equal(DeviceActionState.Active, (await ActionAsync(actionId)).State);
    }

    [Fact]
    public async Task Request_TwoAtOnceForTheSameDevice_OneLockInFlight()
    {
        var device = await AddAsync(Platform.IOS);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => RequestAsync(RemoteAction.RemoteLock, [device]))));

        Assert.Equal(1, results.Count(r => r.Queued.Count == 1));
        Assert.Equal(3, results.Count(r => r.AlreadyPending.SequenceEqual([device])));
        await using var db = _host.Db();
        Assert.Equal(1, await db.Commands.CountAsync());
        Assert.Equal(1, await db.DeviceActions.CountAsync(a => a.State == DeviceActionState.Pending));
    }

    [Fact]
    public async Task IdempotencyKey_Repeat_ReturnsTheFirstOutcome_AndQueuesNothingNew()
    {
        var iphone = await AddAsync(Platform.IOS);
        var mac = await AddAsync(Platform.MacOS);
        var unknown = Guid.NewGuid();
        var input = new ActionRequestInput(RemoteAction.RemoteLock, [iphone, mac, unknown], Admin, IdempotencyKey: "retry-1");

        var first = await _host.With<DeviceActions, BulkActionOutcome>(actions => actions.RequestAsync(input));
        var again = await _host.With<DeviceActions, BulkActionOutcome>(actions => actions.RequestAsync(input with { DeviceIds = [unknown, mac, iphone] }));

        Assert.Equal(first.RequestId, again.RequestId);
        Assert.Equal(first.Queued, again.Queued);
        Assert.Equal(first.NotSupported, again.NotSupported);
        Assert.Equal([unknown], again.NotFound);
        await using var db = _host.Db();
        Assert.Equal(1, await db.ActionRequests.CountAsync());
        Assert.Equal(1, await db.Commands.CountAsync());
    }

    [Fact]
    public async Task IdempotencyKey_SentConcurrently_EveryCallGetsTheFirstOutcome()
    {
        var devices = await _host.AddDevicesAsync(3);
        var input = new ActionRequestInput(RemoteAction.RemoteLock, devices, Admin, IdempotencyKey: "concurrent-1");

        // A client that retries at once, many times over: each call in its own scope, all in flight together.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Task.Run(() => _host.With<DeviceActions, BulkActionOutcome>(actions => actions.RequestAsync(input)))));

        Assert.Single(outcomes.Select(o => o.RequestId).Distinct());
        Assert.All(outcomes, outcome => Assert.Equal(devices.Order(), outcome.Queued.Select(q => q.DeviceId).Order()));
        await using var db = _host.Db();
        Assert.Equal(1, await db.ActionRequests.CountAsync());
        Assert.Equal(3, await db.DeviceActions.CountAsync());
        Assert.Equal(3, await db.Commands.CountAsync());
    }

    [Fact]
    public async Task IdempotencyKey_ReusedForADifferentRequest_IsRefused()
    {
        var iphone = await AddAsync(Platform.IOS);
        await RequestWithKeyAsync(RemoteAction.RemoteLock, iphone, "key-2");
        var error = await Assert.ThrowsAsync<ActionRequestException>(() => RequestWithKeyAsync(RemoteAction.ResetPasscode, iphone, "key-2"));
        Assert.Contains("already used for a different request", error.Message);
    }

    [Fact]
    public async Task IdempotencyKey_IsPerRequester()
    {
        var iphone = await AddAsync(Platform.IOS);
        await RequestWithKeyAsync(RemoteAction.RemoteLock, iphone, "shared-key");
        var other = await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [iphone], "someone-else@test.example", IdempotencyKey: "shared-key")));
        Assert.Equal([iphone], other.AlreadyPending);
    }

    private Task<BulkActionOutcome> RequestWithKeyAsync(RemoteAction action, Guid device, string key) =>
        _host.With<DeviceActions, BulkActionOutcome>(actions => actions.RequestAsync(new ActionRequestInput(action, [device], Admin, IdempotencyKey: key)));
}

public sealed class DeviceActionsOnSqlite() : DeviceActionsContract(SqliteBackend.Instance);

public sealed class DeviceActionsOnPostgres() : DeviceActionsContract(PostgresBackend.Instance);
