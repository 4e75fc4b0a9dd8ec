using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Contracts;

/// <summary>The command queue's contract, run unchanged on every storage backend.</summary>
public abstract class CommandQueueContract(StorageBackend backend) : IAsyncLifetime
{
    private LatchTestHost _host = null!;
    private Guid _device;

    public async ValueTask InitializeAsync()
    {
        _host = await LatchTestHost.StartAsync(backend, commandLifetime: TimeSpan.FromHours(1));
        _device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.IOS))).Id;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private Task<Command> EnqueueAsync(string type, int priority = CommandPriority.Routine, Guid? device = null) =>
        _host.With<CommandQueue, Command>(async queue =>
        {
            var command = queue.Create(device ?? _device, type, priority);
            await queue.EnqueueAsync([command]);
            return command;
        });

    // The queue's own reads and conditional writes, as a device session makes them.
    private Task<Command?> NextAsync(bool newSession = true, Guid? device = null) =>
        _host.With<CommandQueue, Command?>(async queue =>
            (await queue.NextAsync(device ?? _device, newSession, limit: 1)) is [var next] ? await queue.ClaimAsync(next.Command) : null);

    private Task<(ReportOutcome, Command?)> ReportAsync(Guid command, CommandReport report, Guid? device = null) =>
        _host.With<CommandQueue, (ReportOutcome, Command?)>(async queue =>
            await queue.ReportedAsync(device ?? _device, command) is { } reported
                ? await queue.RecordAsync(reported.Command, report)
                : (ReportOutcome.UnknownCommand, null));

    private async Task<Command> StoredAsync(Guid id)
    {
        await using var db = _host.Db();
        return await db.Commands.SingleAsync(c => c.Id == id);
    }

    [Fact]
    public async Task Enqueue_ManyDevicesInOneCall_AllAreQueuedWithTheirLifetime()
    {
        var devices = await _host.AddDevicesAsync(250);
        await _host.With<CommandQueue>(queue => queue.EnqueueAsync(
            devices.Select(d => queue.Create(d, CommandTypes.RemoteLock, CommandPriority.Urgent)).ToList()));

        await using var db = _host.Db();
        var stored = await db.Commands.Where(c => devices.Contains(c.DeviceId)).ToListAsync();
        Assert.Equal(250, stored.Count);
        Assert.All(stored, c =>
        {
            Assert.Equal(CommandStatus.Queued, c.Status);
            Assert.Equal(LatchTestHost.Start, c.EnqueuedAt);
            Assert.Equal(LatchTestHost.Start.AddHours(1), c.ExpiresAt);
            Assert.Equal(CommandTypes.RemoteLock, c.Type);
        });
    }

    [Fact]
    public async Task Enqueue_FailingHalfway_WritesNothing()
    {
        var devices = await _host.AddDevicesAsync(300);
        await using (var db = _host.Db())
            await backend.FailCommandInsertsForAsync(db, devices[200]);

        await Assert.ThrowsAnyAsync<Exception>(() => _host.With<CommandQueue>(queue => queue.EnqueueAsync(
            devices.Select(d => queue.Create(d, CommandTypes.RemoteLock, CommandPriority.Urgent)).ToList())));

        await using var check = _host.Db();
        Assert.Equal(0, await check.Commands.CountAsync());
    }

    [Fact]
    public async Task Next_UrgentBeforeRoutine_ThenOldestFirst()
    {
        var routineOld = await EnqueueAsync("DeviceInformation");
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var routineNew = await EnqueueAsync("SecurityInfo");
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        var urgent = await EnqueueAsync(CommandTypes.RemoteLock, CommandPriority.Urgent);

        var order = new List<Guid>();
        while (await NextAsync(newSession: false) is { } next)
        {
            order.Add(next.Id);
            await ReportAsync(next.Id, CommandReport.Acknowledged);
        }
        Assert.Equal([urgent.Id, routineOld.Id, routineNew.Id], order);
    }

    [Fact]
    public async Task Next_NeverHandsOutAnotherDevicesCommand()
    {
        var other = (await _host.AddDeviceAsync(TestDevices.Of(Platform.Android))).Id;
        await EnqueueAsync(CommandTypes.RemoteLock, device: other);
        Assert.Null(await NextAsync());
        Assert.NotNull(await NextAsync(device: other));
    }

    [Fact]
    public async Task Next_WithoutAReport_OffersTheSameCommandAgain()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock, CommandPriority.Urgent);

        var first = await NextAsync();
        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await NextAsync();

        Assert.Equal(queued.Id, first!.Id);
        Assert.Equal(queued.Id, second!.Id);
        var stored = await StoredAsync(queued.Id);
        Assert.Equal(CommandStatus.Sent, stored.Status);
        Assert.Equal(2, stored.DeliveryCount);
        Assert.Equal(LatchTestHost.Start.AddMinutes(1), stored.LastSentAt);
    }

    [Fact]
    public async Task Report_Acknowledged_FinishesTheCommand_AndTheQueueIsEmpty()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock);
        await NextAsync();
        var (outcome, _) = await ReportAsync(queued.Id, CommandReport.Acknowledged);

        Assert.Equal(ReportOutcome.Recorded, outcome);
        Assert.Equal(CommandStatus.Acknowledged, (await StoredAsync(queued.Id)).Status);
        Assert.Null(await NextAsync());
    }

    [Fact]
    public async Task Report_SameReportTwice_SecondChangesNothing()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock);
        await NextAsync();
        await ReportAsync(queued.Id, CommandReport.Acknowledged);
        var finished = (await StoredAsync(queued.Id)).FinishedAt;

        _host.Clock.Advance(TimeSpan.FromMinutes(5));
        var (again, _) = await ReportAsync(queued.Id, CommandReport.Acknowledged);
        var (contradicting, _) = await ReportAsync(queued.Id, CommandReport.Failed("late error"));

        Assert.Equal(ReportOutcome.AlreadyRecorded, again);
        Assert.Equal(ReportOutcome.AlreadyRecorded, contradicting);
        var stored = await StoredAsync(queued.Id);
        Assert.Equal(CommandStatus.Acknowledged, stored.Status);
        Assert.Equal(finished, stored.FinishedAt);
        Assert.Null(stored.Error);
    }

    [Fact]
    public async Task Report_Error_KeepsTheDevicesError()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock);
        await NextAsync();
        await ReportAsync(queued.Id, CommandReport.Failed("MCMDMErrorDomain 12021: passcode not set"));

        var stored = await StoredAsync(queued.Id);
        Assert.Equal(CommandStatus.Error, stored.Status);
        Assert.Equal("MCMDMErrorDomain 12021: passcode not set", stored.Error);
    }

    [Fact]
    public async Task Report_AnotherDevicesCommand_IsUnknown_AndChangesNothing()
    {
        var other = (await _host.AddDeviceAsync(TestDevices.Of(Platform.Android))).Id;
        var theirs = await EnqueueAsync(CommandTypes.RemoteLock, device: other);
        await NextAsync(device: other);

        var (outcome, command) = await ReportAsync(theirs.Id, CommandReport.Acknowledged);

        Assert.Equal(ReportOutcome.UnknownCommand, outcome);
        Assert.Null(command);
        Assert.Equal(CommandStatus.Sent, (await StoredAsync(theirs.Id)).Status);
    }

    [Fact]
    public async Task Report_NeverIssuedId_IsUnknown()
    {
        var (outcome, _) = await ReportAsync(Guid.NewGuid(), CommandReport.Acknowledged);
        Assert.Equal(ReportOutcome.UnknownCommand, outcome);
    }

    [Fact]
    public async Task NotNow_StaysQueued_SkippedForTheRestOfTheSession_OfferedAtTheNext()
    {
        var first = await EnqueueAsync(CommandTypes.RemoteLock, CommandPriority.Urgent);
        var second = await EnqueueAsync("DeviceInformation");

        Assert.Equal(first.Id, (await NextAsync(newSession: true))!.Id);
        var (outcome, _) = await ReportAsync(first.Id, CommandReport.NotNow);
        Assert.Equal(ReportOutcome.Recorded, outcome);
        Assert.Equal(CommandStatus.NotNow, (await StoredAsync(first.Id)).Status);

        Assert.Equal(second.Id, (await NextAsync(newSession: false))!.Id);
        await ReportAsync(second.Id, CommandReport.Acknowledged);
        Assert.Null(await NextAsync(newSession: false));

        var nextSession = await NextAsync(newSession: true);
        Assert.Equal(first.Id, nextSession!.Id);
        Assert.Equal(2, nextSession.DeliveryCount);
    }

    [Fact]
    public async Task NotNow_Replayed_ChangesNothing()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock);
        await NextAsync();
        await ReportAsync(queued.Id, CommandReport.NotNow);
        var (again, _) = await ReportAsync(queued.Id, CommandReport.NotNow);
        Assert.Equal(ReportOutcome.AlreadyRecorded, again);
    }

    [Fact]
    public async Task Clear_DropsOpenCommands_KeepsFinishedOnes()
    {
        var done = await EnqueueAsync("DeviceInformation", CommandPriority.Urgent);
        await NextAsync();
        await ReportAsync(done.Id, CommandReport.Acknowledged);
        var open = await EnqueueAsync(CommandTypes.RemoteLock);
        var alsoOpen = await EnqueueAsync("SecurityInfo");

        var dropped = await _host.With<CommandQueue, List<Command>>(queue => queue.ClearAsync(_device, "re-enrolled"));

        Assert.Equal(new[] { open.Id, alsoOpen.Id }.Order(), dropped.Select(c => c.Id).Order());
        Assert.Equal(CommandStatus.Canceled, (await StoredAsync(open.Id)).Status);
        Assert.Equal(CommandStatus.Acknowledged, (await StoredAsync(done.Id)).Status);
        Assert.Null(await NextAsync());
    }

    [Fact]
    public async Task Expiry_AnOverdueCommandIsNotOffered_AndTheSweepMarksItExpired()
    {
        var overdue = await EnqueueAsync(CommandTypes.RemoteLock);
        _host.Clock.Advance(TimeSpan.FromMinutes(30));
        var fresh = await EnqueueAsync("DeviceInformation");
        _host.Clock.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(fresh.Id, (await NextAsync())!.Id);
        var expired = await _host.With<CommandQueue, List<Command>>(queue => queue.ExpireAsync(100));

        Assert.Equal([overdue.Id], expired.Select(c => c.Id));
        Assert.Equal(CommandStatus.Expired, (await StoredAsync(overdue.Id)).Status);
        Assert.Equal(CommandStatus.Sent, (await StoredAsync(fresh.Id)).Status);
    }

    [Fact]
    public async Task Restart_QueuedCommandsSurvive()
    {
        var queued = await EnqueueAsync(CommandTypes.RemoteLock, CommandPriority.Urgent);
        await _host.RestartAsync();
        Assert.Equal(queued.Id, (await NextAsync())!.Id);
    }
}

public sealed class CommandQueueOnSqlite() : CommandQueueContract(SqliteBackend.Instance);

public sealed class CommandQueueOnPostgres() : CommandQueueContract(PostgresBackend.Instance);
