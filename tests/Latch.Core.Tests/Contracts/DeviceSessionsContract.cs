using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Rules;
using Latch.Core.Sessions;
using Latch.Core.Tests.Sessions;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latch.Core.Tests.Contracts;

/// <summary>
/// The device session every channel calls (<see cref="DeviceSessions"/>), on every backend: many reports in and many
/// commands out in one request, the encoder before the claim, facts and a device-made secret taken with a report.
/// </summary>
public abstract class DeviceSessionsContract(StorageBackend backend) : IAsyncLifetime
{
    private const string Admin = "admin@test.example";
    private LatchTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LatchTestHost.StartAsync(backend);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private Task<DeviceExchange<Command>> ExchangeAsync(Guid device, SessionStart start, DeviceReport[] reports, int maxCommands,
        ICommandEncoder<Command>? encoder = null, DeviceFacts? facts = null) =>
        _host.Sessions().ExchangeAsync(device, start, reports, maxCommands, encoder ?? SentAsIs.Instance, facts);

    private async Task<List<Command>> EnqueueAsync(Guid device, params string[] types)
    {
        var commands = new List<Command>();
        foreach (var type in types)
        {
            await _host.With<CommandQueue>(async queue =>
            {
                var command = queue.Create(device, type, CommandPriority.Routine);
                await queue.EnqueueAsync([command]);
                commands.Add(command);
            });
            _host.Clock.Advance(TimeSpan.FromSeconds(1)); // oldest first
        }
        return commands;
    }

    private async Task<Command> StoredAsync(Guid id)
    {
        await using var db = _host.Db();
        return await db.Commands.AsNoTracking().SingleAsync(c => c.Id == id);
    }

    [Fact]
    public async Task ManyCommandsOut_InQueueOrder_EachOnce_AndTheRestInTheNextAnswer()
    {
        var device = (await _host.AddDevicesAsync(1))[0];
        var queued = await EnqueueAsync(device, "A", "B", "C");

        var first = await ExchangeAsync(device, SessionStart.New, [], maxCommands: 2);
        Assert.Equal(queued.Take(2).Select(c => c.Id), first.Commands.Select(c => c.Id));
        Assert.All(first.Commands, c => Assert.Equal(CommandStatus.Sent, c.Status));

        // Within the session the two sent ones are offered again (no report yet), with the third.
        var second = await ExchangeAsync(device, SessionStart.Continues, [], maxCommands: 5);
        Assert.Equal(queued.Select(c => c.Id), second.Commands.Select(c => c.Id));
    }

    [Fact]
    public async Task ManyReportsIn_EachRecorded_ThenTheNextCommandsOut_InOneRequest()
    {
        var device = (await _host.AddDevicesAsync(1))[0];
        var queued = await EnqueueAsync(device, "A", "B", "C");
        var sent = await ExchangeAsync(device, SessionStart.New, [], maxCommands: 2);

        var exchange = await ExchangeAsync(device, SessionStart.Continues,
        [
            new DeviceReport(sent.Commands[0].Id, CommandReport.Acknowledged),
            new DeviceReport(sent.Commands[1].Id, CommandReport.Failed("The device said no (500).")),
            new DeviceReport(Guid.NewGuid(), CommandReport.Acknowledged),
        ], maxCommands: 5);

        Assert.Equal([ReportOutcome.Recorded, ReportOutcome.Recorded, ReportOutcome.UnknownCommand], exchange.Reports);
        Assert.Equal([queued[2].Id], exchange.Commands.Select(c => c.Id));
        Assert.Equal(CommandStatus.Acknowledged, (await StoredAsync(queued[0].Id)).Status);
        Assert.Equal("The device said no (500).", (await StoredAsync(queued[1].Id)).Error);
    }

    [Fact]
    public async Task ARequestWhoseEveryReportIsAnotherDevicesCommand_GetsNothing_AndChangesNothing()
    {
        var devices = await _host.AddDevicesAsync(2);
        var theirs = (await EnqueueAsync(devices[0], "A"))[0];
        var mine = (await EnqueueAsync(devices[1], "B"))[0];

        var exchange = await ExchangeAsync(devices[1], SessionStart.Continues, [new DeviceReport(theirs.Id, CommandReport.Acknowledged)], 1);

        Assert.Equal([ReportOutcome.UnknownCommand], exchange.Reports);
        Assert.Empty(exchange.Commands);
        Assert.Equal(CommandStatus.Queued, (await StoredAsync(theirs.Id)).Status);
        Assert.Equal(CommandStatus.Queued, (await StoredAsync(mine.Id)).Status);
    }

    [Fact]
    public async Task ACommandTheEncoderRefuses_FailsWithItsReason_NeverSent_AndTheNextOneGoesOut()
    {
        var device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.IOS))).Id;
        var outcome = await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [device], Admin)));
        var routine = (await EnqueueAsync(device, "Query"))[0];

        var exchange = await ExchangeAsync(device, SessionStart.New, [], 1,
            new CannotRun(CommandTypes.RemoteLock, "This channel has no lock command."));

        Assert.Equal([routine.Id], exchange.Commands.Select(c => c.Id));
        await using var db = _host.Db();
        var action = await db.DeviceActions.Include(a => a.Transitions).SingleAsync(a => a.Id == outcome.Queued[0].ActionId);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Equal("This channel has no lock command.", action.Reason);
        Assert.DoesNotContain(action.Transitions, t => t.To == DeviceActionState.Active);
        var command = await StoredAsync(action.CommandId!.Value);
        Assert.Equal((CommandStatus.Error, 0, (DateTimeOffset?)null), (command.Status, command.DeliveryCount, command.LastSentAt));
    }

    [Fact]
    public async Task FactsSentWithTheMessage_AreApplied_AndTheCommandsAreJudgedOnThem()
    {
        var owner = await _host.AddUserAsync("Rita Enroller");
        var device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.WindowsRT, adjust: d =>
        {
            d.EnrolledByUserId = owner.Id;
            d.CurrentUserId = owner.Id;
        }))).Id;
        var outcome = await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [device], Admin)));
        Assert.Single(outcome.Queued);

        // Windows RT locks only while the enrolling user is signed in; the session's LoginStatus says someone else is.
        var exchange = await ExchangeAsync(device, SessionStart.New, [], 5, facts: new DeviceFacts { SignedIn = SignedIn.AnotherUser });

        Assert.Empty(exchange.Commands);
        await using var db = _host.Db();
        var stored = await db.Devices.AsNoTracking().SingleAsync(d => d.Id == device);
        Assert.Equal(((Guid?)null, true), (stored.CurrentUserId, stored.OtherUserSignedIn));
        var action = await db.DeviceActions.AsNoTracking().SingleAsync(a => a.Id == outcome.Queued[0].ActionId);
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Contains("another user is signed in now", action.Reason);
    }

    [Fact]
    public async Task APasscodeTheDeviceMade_IsKeptEncryptedOnTheAction_AndRevealedOnce()
    {
        var device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.WindowsPhone81))).Id;
        var outcome = await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.ResetPasscode, [device], Admin)));
        var sent = (await _host.NextAsync(device))!;

        var report = new DeviceReport(sent.Id, CommandReport.Acknowledged) { Secret = "482913" };
        Assert.DoesNotContain("482913", report.ToString()); // a logged report never shows it
        await ExchangeAsync(device, SessionStart.Continues, [report], 0);
        // A replay with another value changes nothing.
        await ExchangeAsync(device, SessionStart.Continues, [report with { Secret = "000000" }], 0);

        await using var db = _host.Db();
        var stored = await db.DeviceActions.AsNoTracking().SingleAsync(a => a.Id == outcome.Queued[0].ActionId);
        Assert.Equal(DeviceActionState.Done, stored.State);
        Assert.NotNull(stored.ProtectedPasscode);
        Assert.DoesNotContain("482913", stored.ProtectedPasscode);
        Assert.Equal("482913", await _host.With<DeviceActions, string?>(actions => actions.RevealPasscodeAsync(stored.Id, Admin)));
    }

    [Fact]
    public async Task FactsAnsweredWithAReport_ReachTheDevice_AndTheRulesUseThem()
    {
        var device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.IOS, adjust: d => d.PasscodeSet = false))).Id;
        var query = (await EnqueueAsync(device, CommandTypes.QuerySecurityInfo))[0];
        await _host.NextAsync(device);

        await ExchangeAsync(device, SessionStart.Continues,
            [new DeviceReport(query.Id, CommandReport.Acknowledged) { Facts = new DeviceFacts { PasscodeSet = true, Name = "Ada's phone" } }], 0);

        await using var db = _host.Db();
        var stored = await db.Devices.AsNoTracking().SingleAsync(d => d.Id == device);
        Assert.Equal((true, "Ada's phone"), (stored.PasscodeSet, stored.Name));
        var lockOutcome = await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [device], Admin)));
        Assert.Single(lockOutcome.Queued);
    }

    [Fact]
    public async Task AnyWriteToAnEnrolmentTable_RetiresRememberedIdentities_AfterItsCommit()
    {
        await using var scope = _host.Services.CreateAsyncScope();
        var identities = _host.Services.GetRequiredService<DeviceIdentities>();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var user = await _host.AddUserAsync("Identity Owner");
        db.AppleEnrollments.Add(new AppleEnrollment { UserId = user.Id, IssuedBy = Admin, CertificateThumbprint = new string('A', 64) });
        await db.SaveChangesAsync();

        var before = identities.Generation;
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.AppleEnrollments.ExecuteUpdateAsync(set => set.SetProperty(e => e.PushTokenInvalidAt, LatchTestHost.Start));
            Assert.Equal(before, identities.Generation); // not committed yet: a reader may still see the old row
            await transaction.CommitAsync();
        }
        Assert.True(identities.Generation > before);

        var reading = identities.Generation;
        await db.AppleEnrollments.AsNoTracking().ToListAsync();
        await db.Devices.ExecuteUpdateAsync(set => set.SetProperty(d => d.IsLost, false));
        Assert.Equal(reading, identities.Generation); // reads and other tables' writes leave them alone
    }
}

public sealed class DeviceSessionsOnSqlite() : DeviceSessionsContract(SqliteBackend.Instance);

public sealed class DeviceSessionsOnPostgres() : DeviceSessionsContract(PostgresBackend.Instance);

/// <summary>Wake-ups reach each device through the channel it enrolled through, and one channel's failure stops no other.</summary>
public sealed class DeviceWakeUpsTests : IAsyncLifetime
{
    private readonly RecordingChannel _apple = new("apple"), _windows = new("windows", fails: true), _android = new("android");
    private LatchTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LatchTestHost.StartAsync(SqliteBackend.Instance, extra: services =>
    {
        services.AddSingleton<IChannelWakeUp>(_apple);
        services.AddSingleton<IChannelWakeUp>(_windows);
        services.AddSingleton<IChannelWakeUp>(_android);
    });

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EachDevice_IsWokenThroughItsOwnChannel_Only()
    {
        var apple = await _host.AddDevicesAsync(2, adjust: d => d.EnrolledThrough = "apple");
        var windows = await _host.AddDevicesAsync(1, Platform.Windows10Desktop, d => d.EnrolledThrough = "windows");
        var android = await _host.AddDevicesAsync(1, Platform.Android, d => d.EnrolledThrough = "android");
        var never = await _host.AddDevicesAsync(1); // never enrolled through a channel
        var left = await _host.AddDevicesAsync(1, adjust: d => { d.EnrolledThrough = "apple"; d.UnenrolledAt = LatchTestHost.Start; });

        await _host.With<IDeviceWakeUp>(wakeUp => wakeUp.WakeAsync([.. apple, .. windows, .. android, .. never, .. left]));

        Assert.Equal(apple.Order(), _apple.Woken.Order());
        Assert.Equal(windows, _windows.Woken);
        Assert.Equal(android, _android.Woken); // the failing Windows channel did not stop it
    }

    private sealed class RecordingChannel(string channel, bool fails = false) : IChannelWakeUp
    {
        public List<Guid> Woken { get; } = [];

        public string Channel => channel;

        public Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
        {
            lock (Woken) Woken.AddRange(deviceIds);
            return fails ? Task.FromException(new HttpRequestException("the push service is down")) : Task.CompletedTask;
        }
    }
}
