using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latch.Core.Data;

/// <summary>
/// Group commit for the device protocols' small writes. A durable commit costs a flush to disk (about a millisecond
/// here), and SQLite has one writer: one commit per device report would cap the whole server at a few hundred
/// reports a second. Operations queued here while a batch commits run together in the next one — one transaction,
/// one flush — and each caller gets its result only after that commit, so nothing is acknowledged before it is
/// durable. If one operation fails, the batch is rolled back and its operations run again one by one, each in its
/// own transaction, so the failure stays with the operation that caused it. Where the provider can flush after the
/// fact (<see cref="IWriterDurability"/>), the flush runs beside the next batch: a batch's callers are answered after
/// its flush, and the writer is not idle while the disk works.
/// </summary>
public sealed class WriteBatcher : IAsyncDisposable
{
    /// <summary>At most this many operations share one commit.</summary>
    public const int MaxBatch = 128;

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<WriteBatcher> _logger;
    private readonly IEnumerable<IWriterDurability> _durabilities;
    private readonly Channel<IOperation> _queue = Channel.CreateUnbounded<IOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<(IWriterFlush Flush, IOperation[] Batch)> _committed =
        Channel.CreateUnbounded<(IWriterFlush, IOperation[])>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _loop;
    private readonly Task _flushLoop;

    public WriteBatcher(IServiceScopeFactory scopes, ILogger<WriteBatcher> logger, IEnumerable<IWriterDurability> durabilities)
    {
        _scopes = scopes;
        _logger = logger;
        _durabilities = durabilities;
        _loop = Task.Run(RunAsync);
        _flushLoop = Task.Run(FlushAsync);
    }

    /// <summary>Runs <paramref name="operation"/> with services of a batch scope (its <see cref="LatchDbContext"/> is in the batch's transaction).</summary>
    public Task<T> RunAsync<T>(Func<IServiceProvider, CancellationToken, Task<T>> operation, CancellationToken cancellationToken = default)
    {
        var item = new Operation<T>(operation, cancellationToken);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(item), this);
        return item.Result;
    }

    private async Task RunAsync()
    {
        var batch = new List<IOperation>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
                if (!item.IsCanceled) batch.Add(item);
            if (batch.Count == 0) continue;

            using var trace = LatchTelemetry.Source.StartActivity("WriteBatcher.Batch");
            trace?.SetTag("latch.operations", batch.Count);
            if (!await TryTogetherAsync(batch))
                foreach (var item in batch)
                    await AloneAsync(item);
        }
    }

    // The writer's scope, kept from batch to batch: its context keeps its connection open, so the statements the batches
    // run stay prepared (see Prepared.PreparedStatement) and no batch pays for a scope, a context and a connection.
    // Dropped after a failed batch: the next one starts from a fresh context and connection.
    private AsyncServiceScope? _writer;
    private IWriterFlush? _writerFlush; // how the kept writer's commits are made durable, when COMMIT does not

    private async Task<(IServiceProvider Services, LatchDbContext Db)> WriterAsync()
    {
        if (_writer is { } kept) return (kept.ServiceProvider, kept.ServiceProvider.GetRequiredService<LatchDbContext>());
        var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        try
        {
            await db.Database.OpenConnectionAsync();
            _writerFlush = _durabilities.FirstOrDefault(d => d.ProviderName == db.Database.ProviderName)
                ?.PrepareWriter(db.Database.GetDbConnection());
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
        _writer = scope;
        return (scope.ServiceProvider, db);
    }

    private async Task DropWriterAsync()
    {
        if (_writer is not { } writer) return;
        _writer = null;
        _writerFlush = null;
        try
        {
            await writer.DisposeAsync();
        }
        catch (Exception exception)
        {
            _logger.LogDebug(exception, "Closing the writer's context after a failed batch failed too.");
        }
    }

    private async Task<bool> TryTogetherAsync(List<IOperation> batch)
    {
        try
        {
            var (services, db) = await WriterAsync();
            await using var transaction = await db.Database.BeginTransactionAsync();
            foreach (var item in batch)
            {
                await item.RunAsync(services);
                db.ChangeTracker.Clear();
            }
            await transaction.CommitAsync();
        }
        catch (Exception exception)
        {
            await DropWriterAsync();
            if (batch.Count == 1)
            {
                batch[0].Fail(exception);
                return true;
            }
            _logger.LogDebug(exception, "A batch of {Count} writes failed; running them one by one.", batch.Count);
            return false;
        }
        if (_writerFlush is { } flush) _committed.Writer.TryWrite((flush, batch.ToArray())); // answered after the flush
        else
            foreach (var item in batch) item.Complete();
        return true;
    }

    // Flushes committed batches and answers their callers, beside the writer. Batches committed during one flush are
    // covered by the next, together.
    private async Task FlushAsync()
    {
        var waiting = new List<(IWriterFlush Flush, IOperation[] Batch)>();
        while (await _committed.Reader.WaitToReadAsync())
        {
            waiting.Clear();
            while (_committed.Reader.TryRead(out var committed)) waiting.Add(committed);
            Exception? failure = null;
            try
            {
                // The same flush for all but across a change of writer connection, where each flushes its own commits.
                foreach (var flush in waiting.Select(w => w.Flush).Distinct()) flush.Flush();
            }
            catch (Exception exception)
            {
                failure = exception;
                _logger.LogError(exception, "Flushing {Count} committed batches to disk failed; their callers are told so.", waiting.Count);
            }
            foreach (var (_, batch) in waiting)
            foreach (var item in batch)
                if (failure is null) item.Complete();
                else item.Fail(failure);
        }
    }

    private async Task AloneAsync(IOperation item)
    {
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await item.RunAsync(scope.ServiceProvider);
            await transaction.CommitAsync();
            item.Complete();
        }
        catch (Exception exception)
        {
            item.Fail(exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        _committed.Writer.TryComplete();
        await _flushLoop;
        await DropWriterAsync();
    }

    private interface IOperation
    {
        bool IsCanceled { get; }
        Task RunAsync(IServiceProvider services);
        void Complete();
        void Fail(Exception exception);
    }

    // The result is kept until the commit and handed over only then.
    private sealed class Operation<T>(Func<IServiceProvider, CancellationToken, Task<T>> operation, CancellationToken cancellationToken) : IOperation
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _value = default!;

        public Task<T> Result => _completion.Task;

        public bool IsCanceled
        {
            get
            {
                if (!cancellationToken.IsCancellationRequested) return false;
                _completion.TrySetCanceled(cancellationToken);
                return true;
            }
        }

        // A caller that gives up does not stop a batch that already started: its write is small and commits with the rest.
        public async Task RunAsync(IServiceProvider services) => _value = await operation(services, CancellationToken.None);

        public void Complete() => _completion.TrySetResult(_value);

        public void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}
