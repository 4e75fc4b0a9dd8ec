using System.Collections.Concurrent;
using Latch.Core.Data;
using Microsoft.Extensions.Options;

namespace Latch.Core.Commands;

/// <summary>
/// Devices known to have nothing open in their queue, so that most check-ins — a device saying it is idle, with nothing
/// to do — are answered without a query. A device is remembered only after a read found its queue empty, and forgotten
/// when a command is queued for it, after that commit (<see cref="CommandQueue.EnqueueAsync"/>). A read that raced with
/// such a commit is not remembered: every forgetting moves <see cref="Version"/>, and a device is kept only if no
/// forgetting happened since before its read. Commands only ever leave the open states, so nothing else can make a
/// quiet device busy. Active only when this process is the database's only writer (<see cref="DatabaseWriters"/>).
/// </summary>
public sealed class QuietDevices(IOptions<DatabaseWriters> writers)
{
    /// <summary>Devices remembered at most; past this the memory starts again (a larger fleet reads more often).</summary>
    public const int Capacity = 1_000_000;

    private readonly bool _enabled = writers.Value.OnlyThisProcess;
    private readonly ConcurrentDictionary<Guid, byte> _quiet = new();
    private long _version;

    /// <summary>Read before the query whose empty answer is then passed to <see cref="Remember"/>.</summary>
    public long Version => Interlocked.Read(ref _version);

    public bool IsQuiet(Guid deviceId) => _enabled && _quiet.ContainsKey(deviceId);

    /// <summary>A read that started at <paramref name="versionBeforeRead"/> found nothing open for the device.</summary>
    public void Remember(Guid deviceId, long versionBeforeRead)
    {
        if (!_enabled) return;
        if (_quiet.Count >= Capacity) _quiet.Clear();
        _quiet[deviceId] = 0;
        if (Version != versionBeforeRead) _quiet.TryRemove(deviceId, out _); // a command may have been queued meanwhile
    }

    /// <summary>Commands were committed for these devices.</summary>
    public void Forget(IEnumerable<Guid> deviceIds)
    {
        Interlocked.Increment(ref _version);
        foreach (var deviceId in deviceIds) _quiet.TryRemove(deviceId, out _);
    }
}
