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
/// own transaction, so the failure stays with the operation that caused it.
/// </summary>
public sealed class WriteBatcher : IAsyncDisposable
{
    /// <summary>At most this many operations share one commit.</summary>
    public const int MaxBatch = 128;

    private readonly IServiceScopeFactory _scopes;
    private readonly ILogger<WriteBatcher> _logger;
    private readonly Channel<IOperation> _queue = Channel.CreateUnbounded<IOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public WriteBatcher(IServiceScopeFactory scopes, ILogger<WriteBatcher> logger)
    {
        _scopes = scopes;
        _logger = logger;
        _loop = Task.Run(RunAsync);
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

    private async Task<(IServiceProvider Services, LatchDbContext Db)> WriterAsync()
    {
        if (_writer is { } kept) return (kept.ServiceProvider, kept.ServiceProvider.GetRequiredService<LatchDbContext>());
        var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        await db.Database.OpenConnectionAsync();
        _writer = scope;
        return (scope.ServiceProvider, db);
    }

    private async Task DropWriterAsync()
    {
        if (_writer is not { } writer) return;
        _writer = null;
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
        foreach (var item in batch) item.Complete();
        return true;
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
