using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Core.Data.Prepared;

/// <summary>
/// Contexts whose connections stay open, for the reads device requests make beside the single writer: a pooled
/// context closes its connection when it goes back to the pool, and with it every prepared statement, so each read
/// would pay the connection's set-up and a fresh prepare again. A context here is opened once (the provider's
/// connection set-up and Latch's interceptors run then) and lent to one read at a time.
/// </summary>
public sealed class OpenReaders(IServiceScopeFactory scopes) : IDisposable
{
    // Enough for every core to read at once with some waiting on I/O; more readers are made when all are lent, and
    // those beyond this are closed when they come back.
    private static readonly int KeptIdle = Environment.ProcessorCount * 4;

    private readonly ConcurrentBag<LatchDbContext> _idle = [];
    private readonly Lock _optionsLock = new();
    private DbContextOptions<LatchDbContext>? _options;
    private IServiceScope? _scope;
    private int _idleCount;
    private bool _disposed;

    /// <summary>Runs one read on an open context; the context must not be kept or written through.</summary>
    public async Task<T> ReadAsync<T>(Func<LatchDbContext, Task<T>> read, CancellationToken cancellationToken = default)
    {
        var db = await RentAsync(cancellationToken);
        try
        {
            var result = await read(db);
            Return(db);
            return result;
        }
        catch
        {
            await db.DisposeAsync(); // its connection may be broken: a fresh one next time
            throw;
        }
    }

    private async Task<LatchDbContext> RentAsync(CancellationToken cancellationToken)
    {
        if (_idle.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            return idle;
        }
        if (_options is null)
            lock (_optionsLock) _options ??= Options();
        var db = new LatchDbContext(_options);
        await db.Database.OpenConnectionAsync(cancellationToken);
        return db;
    }

    private void Return(LatchDbContext db)
    {
        db.ChangeTracker.Clear();
        if (!_disposed && Interlocked.Increment(ref _idleCount) <= KeptIdle)
        {
            _idle.Add(db);
            return;
        }
        Interlocked.Decrement(ref _idleCount);
        db.Dispose();
    }

    // The options the host configured (a scoped registration for AddDbContext, a singleton for a pool). Scoped options
    // hold on to their scope's services, so that scope lives as long as the readers.
    private DbContextOptions<LatchDbContext> Options()
    {
        _scope ??= scopes.CreateScope();
        return _scope.ServiceProvider.GetRequiredService<DbContextOptions<LatchDbContext>>();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var db)) db.Dispose();
        _scope?.Dispose();
    }
}
