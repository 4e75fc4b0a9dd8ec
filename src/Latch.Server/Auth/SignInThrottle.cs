using System.Collections.Concurrent;

namespace Latch.Server.Auth;

/// <summary>
/// Failed sign-ins by user name and by client address, in memory: after five failures each further attempt must wait
/// a growing delay (1 s, 2 s, 4 s ... up to a minute) and is answered 429 with Retry-After before any password is checked;
/// after <see cref="LockAfter"/> failures a user name is held for <see cref="LockFor"/>. It treats every name alike,
/// known or not, so the answers say nothing about which accounts exist; an account's own lock is kept in the database
/// (<see cref="AdminAccounts"/>, which an Administrator can lift). A success clears the user name's record.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock)
{
    public const int FreeFailures = 5;
    public const int LockAfter = 10;
    public static readonly TimeSpan LockFor = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);

    // A client address may fail more often than one name: people behind one address share it.
    private const int AddressFreeFailures = 20;

    // Records expire once nothing happened for this long, so memory stays bounded by the recent attackers.
    private static readonly TimeSpan Forget = TimeSpan.FromHours(1);
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the next attempt for this name from this address must wait; null when it may be made now.</summary>
    public TimeSpan? WaitFor(string userName, string? address)
    {
        var now = clock.GetUtcNow();
        var at = new[] { WaitUntil(NameKey(userName), FreeFailures, now), WaitUntil(AddressKey(address), AddressFreeFailures, now) }.Max();
        return at > now ? at - now : null;
    }

    /// <summary>A wrong password (or unknown name): returns true when the name is now held for <see cref="LockFor"/>.</summary>
    public bool Failed(string userName, string? address)
    {
        var now = clock.GetUtcNow();
        if (_failures.Count >= Capacity) Sweep(now);
        Record(AddressKey(address), now);
        return Record(NameKey(userName), now) == LockAfter;
    }

    public void Succeeded(string userName) => _failures.TryRemove(NameKey(userName), out _);

    /// <summary>An Administrator unlocked the account: its name starts afresh here too.</summary>
    public void Forgive(string userName) => _failures.TryRemove(NameKey(userName), out _);

    private int Record(string key, DateTimeOffset now)
    {
        var entry = _failures.GetOrAdd(key, _ => new Failures());
        lock (entry)
        {
            if (now - entry.Last > Forget) entry.Count = 0;
            entry.Count++;
            entry.Last = now;
            return entry.Count;
        }
    }

    private DateTimeOffset WaitUntil(string key, int free, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var entry)) return now;
        lock (entry)
        {
            if (now - entry.Last > Forget || entry.Count < free) return now;
            if (free == FreeFailures && entry.Count >= LockAfter) return entry.Last + LockFor;
            var delay = TimeSpan.FromSeconds(Math.Pow(2, Math.Min(entry.Count - free, 10)));
            return entry.Last + (delay < MaxDelay ? delay : MaxDelay);
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _failures)
            if (now - entry.Last > Forget) _failures.TryRemove(key, out _);
    }

    private static string NameKey(string userName) => "user:" + userName.Trim().ToLowerInvariant();

    private static string AddressKey(string? address) => "address:" + (address ?? "unknown");

    private sealed class Failures
    {
        public int Count;
        public DateTimeOffset Last;
    }
}
