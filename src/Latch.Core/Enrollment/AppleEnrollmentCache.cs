using System.Collections.Concurrent;
using Latch.Core.Data;
using Microsoft.Extensions.Options;

namespace Latch.Core.Enrollment;

/// <summary>
/// Enrolments by certificate thumbprint, as the last read found them, so that a device's every request does not look its
/// enrolment up again. Any write to an enrolment moves <see cref="Generation"/> after its commit and so retires every
/// entry read before it (enrolment writes are rare: issue, Authenticate, TokenUpdate, CheckOut). Entries are shared
/// between requests and must not be changed. Active only when this process is the database's only writer
/// (<see cref="DatabaseWriters"/>).
/// </summary>
public sealed class AppleEnrollmentCache(IOptions<DatabaseWriters> writers)
{
    public const int Capacity = 1_000_000;

    private readonly bool _enabled = writers.Value.OnlyThisProcess;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Read before the query whose answer is then passed to <see cref="Remember"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public AppleEnrollment? Find(string thumbprint) =>
        _enabled && _entries.TryGetValue(thumbprint, out var entry) && entry.Generation == Generation ? entry.Enrollment : null;

    public void Remember(AppleEnrollment enrollment, long generationBeforeRead)
    {
        if (!_enabled) return;
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[enrollment.CertificateThumbprint] = new Entry(enrollment, generationBeforeRead);
    }

    /// <summary>An enrolment was written; call after the commit (<see cref="LatchDbContext.AfterCommit"/>).</summary>
    public void Forget() => Interlocked.Increment(ref _generation);

    private sealed record Entry(AppleEnrollment Enrollment, long Generation);
}
