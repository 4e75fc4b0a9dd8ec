using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Latch.Core.Data;
using Latch.Core.Data.Prepared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latch.Core.Devices;

/// <summary>
/// Remembers when each device last checked in and writes it to the database every few seconds, in one transaction,
/// so a check-in that finds nothing to do writes nothing itself (devices poll; the database should not pay per poll).
/// A device's "last check-in" may therefore lag by up to <see cref="FlushInterval"/> (the host flushes on that beat and
/// when it stops).
/// </summary>
public sealed class CheckInRecorder(IServiceScopeFactory scopes, TimeProvider clock, ILogger<CheckInRecorder> logger)
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);

    private ConcurrentDictionary<Guid, DateTimeOffset> _pending = new();

    public void Record(Guid deviceId) => _pending[deviceId] = clock.GetUtcNow();

    /// <summary>
    /// Writes what was recorded since the last flush. Rows are locked in one order (by id), so two servers' flushes never
    /// deadlock each other; a chunk that loses a deadlock to a device's own write (PostgreSQL aborts one side) is tried
    /// again, and what still could not be written is kept for the next flush rather than lost.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty) return;
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Guid, DateTimeOffset>());
        var ordered = batch.OrderBy(entry => entry.Key).ToArray();
        var written = 0;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            var update = Statements.GetValue(db.Model, model => UpdateStatement(model, db.GetService<ISqlGenerationHelper>()));
            // Short transactions: SQLite has one writer, and the devices' own writes (WriteBatcher) wait while one is open.
            foreach (var chunk in ordered.Chunk(ChunkSize))
            {
                await WriteChunkAsync(db, update, chunk, cancellationToken);
                written += chunk.Length;
            }
        }
        catch (Exception exception)
        {
            var kept = ordered.AsSpan(written);
            foreach (var (deviceId, at) in kept)
                _pending.AddOrUpdate(deviceId, at, (_, recordedSince) => recordedSince > at ? recordedSince : at);
            if (exception is OperationCanceledException) throw;
            logger.LogWarning(exception, "Could not record the last check-in of {Count} device(s) yet: the next flush tries again.", kept.Length);
        }
    }

    private async Task WriteChunkAsync(LatchDbContext db, PreparedStatement update, KeyValuePair<Guid, DateTimeOffset>[] chunk,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                foreach (var (deviceId, at) in chunk)
                    await update.ExecuteAsync(db, cancellationToken, at, deviceId);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException && attempt < ChunkAttempts)
            {
                // Most often a deadlock with a device's write on the same rows, which has gone through by now.
                logger.LogDebug(exception, "Writing {Count} last check-in(s) failed (attempt {Attempt}); trying again.", chunk.Length, attempt);
            }
        }
    }

    private const int ChunkAttempts = 3;
    private const int ChunkSize = 500;

    // Prepared (see PreparedStatement): a fleet's worth of one-row updates every few seconds, ≈ 20 µs each instead of
    // ≈ 500 µs through EF Core's ExecuteUpdate — which also kept the single writer busy for seconds at 10,000 devices.
    private static readonly ConditionalWeakTable<IModel, PreparedStatement> Statements = new();

    private static PreparedStatement UpdateStatement(IModel model, ISqlGenerationHelper sql)
    {
        var devices = new EntityColumns<Device>(model, sql, nameof(Device.Id), nameof(Device.LastCheckInAt));
        var lastCheckIn = devices[nameof(Device.LastCheckInAt)];
        return new PreparedStatement(
            $"UPDATE {devices.Table} SET {lastCheckIn} = @at WHERE {devices[nameof(Device.Id)]} = @id AND ({lastCheckIn} IS NULL OR {lastCheckIn} < @at)",
            ("@at", devices.Mapping(nameof(Device.LastCheckInAt))), ("@id", devices.Mapping(nameof(Device.Id))));
    }
}
