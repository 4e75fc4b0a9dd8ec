using System.Collections.Concurrent;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Devices;

/// <summary>
/// Remembers when each device last checked in and writes it to the database every few seconds, in one transaction,
/// so a check-in that finds nothing to do writes nothing itself (devices poll; the database should not pay per poll).
/// A device's "last check-in" may therefore lag by up to <see cref="FlushInterval"/>.
/// </summary>
public sealed class CheckInRecorder(IServiceScopeFactory scopes, TimeProvider clock, ILogger<CheckInRecorder> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);

    private ConcurrentDictionary<Guid, DateTimeOffset> _pending = new();

    public void Record(Guid deviceId) => _pending[deviceId] = clock.GetUtcNow();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    /// <summary>Writes what was recorded since the last flush.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty) return;
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Guid, DateTimeOffset>());
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var (deviceId, at) in batch)
                await db.Devices.Where(d => d.Id == deviceId && (d.LastCheckInAt == null || d.LastCheckInAt < at))
                    .ExecuteUpdateAsync(set => set.SetProperty(d => d.LastCheckInAt, at), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Losing a batch of "last seen" times is harmless: the next check-in records them again.
            logger.LogWarning(exception, "Could not record the last check-in of {Count} device(s).", batch.Count);
        }
    }
}
