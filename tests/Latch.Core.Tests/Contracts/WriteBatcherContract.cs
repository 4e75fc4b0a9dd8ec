using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Sessions;
using Latch.Core.Tests.Sessions;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Latch.Core.Tests.Contracts;

/// <summary>
/// Group commit as the device channels use it: each device request's reads and writes in one <see cref="WriteBatcher"/>
/// operation, many devices' operations in one transaction. A failing operation must not take the others' writes with
/// it, and an operation must still land whole when its batch is rolled back and it runs again alone.
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

    // A delivery as a device session runs it inside its write operation.
    private static Task<(List<Command> Commands, bool QueueEmpty)> DeliverAsync(WriteBatcher batcher, Guid device) =>
        batcher.RunAsync((services, token) => services.GetRequiredService<DeviceActions>().DeliverAsync(device, newSession: true, 1, SentAsIs.Instance, token));

    private static Task<ReportOutcome> ReportAsync(WriteBatcher batcher, Guid device, Guid command, CommandReport report) =>
        batcher.RunAsync(async (services, token) =>
            (await services.GetRequiredService<DeviceActions>().RecordReportAsync(device, new DeviceReport(command, report), token)).Outcome);

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
        var deliveries = devices.Append(idle).Select(device => DeliverAsync(Batcher, device)).ToList();
        release.SetResult();
        await blocker;
        var results = await Task.WhenAll(deliveries);

        for (var i = 0; i < devices.Count; i++)
        {
            Assert.Equal(devices[i], Assert.Single(results[i].Commands).DeviceId);
            Assert.Equal(CommandStatus.Sent, results[i].Commands[0].Status);
            Assert.False(results[i].QueueEmpty);
        }
        Assert.Empty(results[^1].Commands);
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

        var first = DeliverAsync(batcher, devices[0]);
        Task<(List<Command> Commands, bool QueueEmpty)> second;
        try
        {
            await flush.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            // Committed (others can read it), not yet flushed: its caller has not been answered.
            Assert.Equal(DeviceActionState.Active, await ActionStateAsync(devices[0]));
            Assert.False(first.IsCompleted);

            // The writer does not wait for the disk: the next batch runs and commits during the flush.
            second = DeliverAsync(batcher, devices[1]);
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
        Assert.All(results, result => Assert.Equal(CommandStatus.Sent, Assert.Single(result.Commands).Status));
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
    public async Task DeliveriesInOneBatch_AreAllWritten()
    {
        var devices = await DevicesWithALockAsync(5);

        var (blocker, release) = HoldTheWriter();
        var deliveries = devices.Select(device => DeliverAsync(Batcher, device)).ToList();
        release.SetResult();
        await blocker;
        var sent = await Task.WhenAll(deliveries);

        Assert.All(sent, delivered => Assert.Equal(CommandStatus.Sent, Assert.Single(delivered.Commands).Status));
        await using var db = _host.Db();
        Assert.Equal(5, await db.DeviceActions.CountAsync(a => devices.Contains(a.DeviceId) && a.State == DeviceActionState.Active));
        Assert.Equal(5, await db.Commands.CountAsync(c => devices.Contains(c.DeviceId) && c.Status == CommandStatus.Sent && c.DeliveryCount == 1));
    }

    [Fact]
    public async Task FailingOperation_RollsItsBatchBack_TheOthersRunAgainAlone_AndTheirWritesLandOnce()
    {
        var devices = await DevicesWithALockAsync(2);

        var (blocker, release) = HoldTheWriter();
        var delivered = DeliverAsync(Batcher, devices[0]);
        var failing = Batcher.RunAsync<int>((_, _) => throw new InvalidOperationException("this operation fails"));
        var deliveredToo = DeliverAsync(Batcher, devices[1]);
        release.SetResult();
        await blocker;

        // The batch ran the first delivery, then failed and was rolled back; run again alone, each delivery reads again
        // and writes once: one claim, one transition.
        Assert.Single((await delivered).Commands);
        Assert.Single((await deliveredToo).Commands);
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
    public async Task StaleClaim_WritesNothing_AndTheNextReadFindsTheCommandAsItIsNow()
    {
        var device = (await DevicesWithALockAsync(1))[0];
        var seen = await _host.With<CommandQueue, List<QueuedCommand>>(queue => queue.NextAsync(device, newSession: true, limit: 1));
        Assert.Single((await DeliverAsync(Batcher, device)).Commands); // another request delivers it first

        // The claim is conditional on the command as it was read: a stale read's claim changes nothing.
        Assert.Null(await _host.With<CommandQueue, Command?>(queue => queue.ClaimAsync(seen[0].Command)));

        await using var db = _host.Db();
        var command = await db.Commands.SingleAsync(c => c.DeviceId == device);
        Assert.Equal(1, command.DeliveryCount);
        var action = await db.DeviceActions.Include(a => a.Transitions).SingleAsync(a => a.DeviceId == device);
        Assert.Single(action.Transitions, t => t.To == DeviceActionState.Active);
        var again = Assert.Single((await DeliverAsync(Batcher, device)).Commands); // a sent command without a report is offered again
        Assert.Equal(2, again.DeliveryCount);
    }

    [Fact]
    public async Task ReplayedReportInOneBatch_IsRecordedOnce()
    {
        var device = (await DevicesWithALockAsync(1))[0];
        var command = (await _host.NextAsync(device))!;

        var (blocker, release) = HoldTheWriter();
        var outcomes = Enumerable.Range(0, 2).Select(_ => ReportAsync(Batcher, device, command.Id, CommandReport.Acknowledged)).ToList();
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
            var command = (await _host.NextAsync(devices[i]))!;
            await ReportAsync(Batcher, devices[i], command.Id, CommandReport.Failed(errors[i]));
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
