using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latch.Core.Tests.Contracts;

/// <summary>
/// Group commit as the device channels use it: deliveries and reports planned by reads outside the writer, written by
/// <see cref="WriteBatcher"/> in shared transactions. A failing operation must not take the others' writes with it,
/// and a planned write must still land when its batch is rolled back and it runs again alone.
/// </summary>
public abstract class WriteBatcherContract(StorageBackend backend) : IAsyncLifetime
{
    private const string Admin = "admin@test.example";
    private LatchTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LatchTestHost.StartAsync(backend);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private WriteBatcher Batcher => _host.Services.GetRequiredService<WriteBatcher>();

    private async Task<List<Guid>> DevicesWithALockAsync(int count)
    {
        var devices = await _host.AddDevicesAsync(count);
        await _host.With<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, devices, Admin)));
        return devices;
    }

    private Task<PlannedDelivery?> PlanAsync(Guid device) =>
        _host.With<DeviceActions, PlannedDelivery?>(actions => actions.PlanNextCommandAsync(device, newSession: true));

    // Keeps the batcher busy so that what is queued meanwhile lands in one batch.
    private (Task Blocker, TaskCompletionSource Release) HoldTheWriter()
    {
        var release = new TaskCompletionSource();
        var blocker = Batcher.RunAsync(async (_, _) =>
        {
            await release.Task;
            return 0;
        });
        return (blocker, release);
    }

    [Fact]
    public async Task DeliverNext_ReadsAndDeliversInsideTheBatch_AndSaysWhenNothingIsOpen()
    {
        var devices = await DevicesWithALockAsync(3);
        var idle = (await _host.AddDevicesAsync(1))[0];

        var (blocker, release) = HoldTheWriter();
        var deliveries = devices.Append(idle).Select(device => Batcher.RunAsync((services, token) =>
            services.GetRequiredService<DeviceActions>().DeliverNextAsync(device, newSession: true, token))).ToList();
        release.SetResult();
        await blocker;
        var results = await Task.WhenAll(deliveries);

        for (var i = 0; i < devices.Count; i++)
        {
            Assert.Equal(devices[i], results[i].Command!.DeviceId);
            Assert.Equal(CommandStatus.Sent, results[i].Command!.Status);
            Assert.False(results[i].QueueEmpty);
        }
        Assert.Null(results[^1].Command);
        Assert.True(results[^1].QueueEmpty);
        await using var db = _host.Db();
        var actions = await db.DeviceActions.Include(a => a.Transitions).Where(a => devices.Contains(a.DeviceId)).ToListAsync();
        Assert.Equal(3, actions.Count);
        Assert.All(actions, action => Assert.Single(action.Transitions, t => t.To == DeviceActionState.Active));
    }

    [Fact]
    public async Task WithAFlushAfterCommit_CallersAreAnsweredOnlyAfterIt_WhileTheNextBatchRuns()
    {
        var devices = await DevicesWithALockAsync(2);
        var flush = new HeldFlush();
        await using var batcher = BatcherFlushingWith(flush);

        var first = batcher.RunAsync((services, token) =>
            services.GetRequiredService<DeviceActions>().DeliverNextAsync(devices[0], newSession: true, token));
        Task<(Command? Command, bool QueueEmpty)> second;
        try
        {
            await flush.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // Committed (others can read it), not yet flushed: its caller has not been answered.
            Assert.Equal(DeviceActionState.Active, await ActionStateAsync(devices[0]));
            Assert.False(first.IsCompleted);

            // The writer does not wait for the disk: the next batch runs and commits during the flush.
            second = batcher.RunAsync((services, token) =>
                services.GetRequiredService<DeviceActions>().DeliverNextAsync(devices[1], newSession: true, token));
            for (var waited = 0; await ActionStateAsync(devices[1]) != DeviceActionState.Active; waited++)
            {
                Assert.True(waited < 300, "the second batch did not commit while the first one's flush was running");
                await Task.Delay(100);
            }
            Assert.False(first.IsCompleted);
            Assert.False(second.IsCompleted);
        }
        finally
        {
            flush.Release(); // also when an assertion failed: the batcher must be able to stop
        }

        var results = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, result => Assert.Equal(CommandStatus.Sent, result.Command!.Status));
        Assert.Equal(2, flush.Flushes); // one per batch: the second committed while the first flush ran
    }

    [Fact]
    public async Task AFailedFlush_FailsItsCallers_AndTheNextBatchIsAnsweredWhenItsFlushWorks()
    {
        var flush = new FailingOnceFlush();
        await using var batcher = BatcherFlushingWith(flush);

        var failed = await Assert.ThrowsAsync<IOException>(() => batcher.RunAsync((_, _) => Task.FromResult(1)));
        Assert.Equal("the disk is gone", failed.Message);
        Assert.Equal(2, await batcher.RunAsync((_, _) => Task.FromResult(2)).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private WriteBatcher BatcherFlushingWith(IWriterFlush flush)
    {
        using var db = _host.Db();
        return new WriteBatcher(_host.Services.GetRequiredService<IServiceScopeFactory>(), NullLogger<WriteBatcher>.Instance,
            [new FlushingDurability(db.Database.ProviderName!, flush)]);
    }

    private async Task<DeviceActionState> ActionStateAsync(Guid device)
    {
        await using var db = _host.Db();
        return await db.DeviceActions.Where(a => a.DeviceId == device).Select(a => a.State).SingleAsync();
    }

    private sealed class FlushingDurability(string providerName, IWriterFlush flush) : IWriterDurability
    {
        public string ProviderName => providerName;

        public IWriterFlush PrepareWriter(System.Data.Common.DbConnection connection) => flush;
    }

    // Blocks every flush until released; says when the first one started.
    private sealed class HeldFlush : IWriterFlush
    {
        private readonly ManualResetEventSlim _released = new();
        private int _flushes;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Flushes => Volatile.Read(ref _flushes);

        public void Release() => _released.Set();

        public void Flush()
        {
            Interlocked.Increment(ref _flushes);
            Entered.TrySetResult();
            _released.Wait(TimeSpan.FromSeconds(60));
        }
    }

    private sealed class FailingOnceFlush : IWriterFlush
    {
        private int _calls;

        public void Flush()
        {
            if (Interlocked.Increment(ref _calls) == 1) throw new IOException("the disk is gone");
        }
    }

    [Fact]
    public async Task PlannedDeliveriesInOneBatch_AreAllWritten()
    {
        var devices = await DevicesWithALockAsync(5);
        var plans = new List<PlannedDelivery>();
        foreach (var device in devices) plans.Add((await PlanAsync(device))!);

        var (blocker, release) = HoldTheWriter();
        var deliveries = plans.Select(plan => Batcher.RunAsync((services, token) =>
            services.GetRequiredService<DeviceActions>().DeliverAsync(plan, token))).ToList();
        release.SetResult();
        await blocker;
        var sent = await Task.WhenAll(deliveries);

        Assert.All(sent, command => Assert.Equal(CommandStatus.Sent, command!.Status));
        await using var db = _host.Db();
        Assert.Equal(5, await db.DeviceActions.CountAsync(a => devices.Contains(a.DeviceId) && a.State == DeviceActionState.Active));
        Assert.Equal(5, await db.Commands.CountAsync(c => devices.Contains(c.DeviceId) && c.Status == CommandStatus.Sent && c.DeliveryCount == 1));
    }

    [Fact]
    public async Task FailingOperation_RollsItsBatchBack_TheOthersRunAgainAlone_AndTheirPlannedWritesLand()
    {
        var devices = await DevicesWithALockAsync(2);
        var first = (await PlanAsync(devices[0]))!;
        var second = (await PlanAsync(devices[1]))!;

        var (blocker, release) = HoldTheWriter();
        var delivered = Batcher.RunAsync((services, token) => services.GetRequiredService<DeviceActions>().DeliverAsync(first, token));
        var failing = Batcher.RunAsync<int>((_, _) => throw new InvalidOperationException("this operation fails"));
        var deliveredToo = Batcher.RunAsync((services, token) => services.GetRequiredService<DeviceActions>().DeliverAsync(second, token));
        release.SetResult();
        await blocker;

        // The batch ran the first delivery (its action moved in memory), then failed and was rolled back; run again alone,
        // each delivery must start from what was read, not from the rolled-back attempt.
        Assert.NotNull(await delivered);
        Assert.NotNull(await deliveredToo);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal("this operation fails", error.Message);

        await using var db = _host.Db();
        var actions = await db.DeviceActions.Include(a => a.Transitions).Where(a => devices.Contains(a.DeviceId)).ToListAsync();
        Assert.All(actions, action =>
        {
            Assert.Equal(DeviceActionState.Active, action.State);
            Assert.Single(action.Transitions, t => t.To == DeviceActionState.Active);
        });
        Assert.Equal(2, await db.Commands.CountAsync(c => devices.Contains(c.DeviceId) && c.Status == CommandStatus.Sent && c.DeliveryCount == 1));
    }

    [Fact]
    public async Task StalePlan_WritesNothing_AndPlanningAgainFindsTheCommandAsItIsNow()
    {
        var device = (await DevicesWithALockAsync(1))[0];
        var stale = (await PlanAsync(device))!;
        var current = (await PlanAsync(device))!;
        Assert.NotNull(await _host.With<DeviceActions, Command?>(actions => actions.DeliverAsync(current)));

        // Another request delivered it first: the stale plan's conditional claim changes nothing.
        Assert.Null(await _host.With<DeviceActions, Command?>(actions => actions.DeliverAsync(stale)));

        await using var db = _host.Db();
        var command = await db.Commands.SingleAsync(c => c.DeviceId == device);
        Assert.Equal(1, command.DeliveryCount);
        var action = await db.DeviceActions.Include(a => a.Transitions).SingleAsync(a => a.DeviceId == device);
        Assert.Single(action.Transitions, t => t.To == DeviceActionState.Active);
        var again = (await PlanAsync(device))!; // a sent command without a report is offered again
        Assert.Equal(CommandStatus.Sent, again.Command.Status);
        Assert.Equal(DeviceActionState.Active, again.Action!.State);
    }

    [Fact]
    public async Task ReplayedReportPlannedTwice_IsRecordedOnce()
    {
        var device = (await DevicesWithALockAsync(1))[0];
        var command = (await _host.With<DeviceActions, Command?>(actions => actions.NextCommandAsync(device, newSession: true)))!;
        var plannedTwice = new List<PlannedReport>();
        for (var i = 0; i < 2; i++)
            plannedTwice.Add((await _host.With<DeviceActions, PlannedReport?>(actions => actions.PlanReportAsync(device, command.Id)))!);

        var (blocker, release) = HoldTheWriter();
        var outcomes = plannedTwice.Select(plan => Batcher.RunAsync(async (services, token) =>
            (await services.GetRequiredService<DeviceActions>().ApplyReportAsync(plan, CommandReport.Acknowledged, token)).Outcome)).ToList();
        release.SetResult();
        await blocker;

        Assert.Equal([ReportOutcome.Recorded, ReportOutcome.AlreadyRecorded], await Task.WhenAll(outcomes));
        await using var db = _host.Db();
        var action = await db.DeviceActions.Include(a => a.Transitions).SingleAsync(a => a.DeviceId == device);
        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.Single(action.Transitions, t => t.To == DeviceActionState.Done);
    }

    [Fact]
    public async Task ErrorsOfEveryLength_ThroughTheWritersKeptStatements_AreStoredWhole()
    {
        // The writer keeps its statements prepared from batch to batch: a value must not be cut to the length of the
        // one the statement was first made with.
        var devices = await DevicesWithALockAsync(3);
        string[] errors = ["short", new string('e', 1_500), "a medium-length error"];
        for (var i = 0; i < devices.Count; i++)
        {
            var command = (await _host.With<DeviceActions, Command?>(actions => actions.NextCommandAsync(devices[i], newSession: true)))!;
            var plan = (await _host.With<DeviceActions, PlannedReport?>(actions => actions.PlanReportAsync(devices[i], command.Id)))!;
            var error = errors[i];
            await Batcher.RunAsync((services, token) => services.GetRequiredService<DeviceActions>().ApplyReportAsync(plan, CommandReport.Failed(error), token));
        }

        await using var db = _host.Db();
        for (var i = 0; i < devices.Count; i++)
        {
            Assert.Equal(errors[i], await db.Commands.Where(c => c.DeviceId == devices[i]).Select(c => c.Error).SingleAsync());
            Assert.Equal(errors[i], await db.DeviceActions.Where(a => a.DeviceId == devices[i]).Select(a => a.Reason).SingleAsync());
        }
    }
}

public sealed class WriteBatcherOnSqlite() : WriteBatcherContract(SqliteBackend.Instance);

public sealed class WriteBatcherOnPostgres() : WriteBatcherContract(PostgresBackend.Instance);
