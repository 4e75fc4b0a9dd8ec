using System.Collections.Concurrent;
using Latch.Core.Devices;

namespace Latch.Server.Windows.Mdm;

/// <summary>Where one OMA-DM session stands: the device's last message, the server's, what the device last said about itself.</summary>
public sealed class SyncSession(string sessionId)
{
    public string SessionId { get; } = sessionId;

    /// <summary>The MsgID of the device's last message in this session (MS-MDM §2.2.2: 1, 2, 3, ...).</summary>
    public int DeviceMsgId { get; set; }

    /// <summary>The MsgID of the server's last message.</summary>
    public int ServerMsgId { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }
}

/// <summary>
/// The OMA-DM sessions in progress, one per enrolment, in memory: a session lives for a few packages over seconds,
/// and a device that loses one simply starts a new one (Alert 1201). A message that is not the next of its session
/// (a wrong SessionID, a MsgID replayed or skipped) is refused. Also remembers the facts each device last reported with
/// its session's first package (DevInfo, LoginStatus), so a session that reports nothing new writes nothing.
/// With several Latch servers, a device's packages of one session must reach the same server (they come over one
/// keep-alive connection; a balancer must not split it).
/// </summary>
public sealed class SyncSessions(TimeProvider clock)
{
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(10);
    private const int Capacity = 1_000_000; // devices whose reported facts are remembered

    private readonly ConcurrentDictionary<Guid, SyncSession> _sessions = new();
    private readonly ConcurrentDictionary<Guid, DeviceFacts> _reportedFacts = new();
    private long _sweptAtTicks; // UTC ticks of the last sweep, read and written by many requests at once

    /// <summary>The device's first package (Alert 1201 or 1200): a new session starts, whatever was before.</summary>
    public SyncSession Start(Guid enrollmentId, string sessionId, int msgId)
    {
        var now = clock.GetUtcNow();
        // Sessions a device left unfinished are swept now and then (ConcurrentDictionary.Count takes every lock: not per message).
        if (now.UtcTicks - Interlocked.Read(ref _sweptAtTicks) > SessionLifetime.Ticks) Sweep(now);
        var session = new SyncSession(sessionId) { DeviceMsgId = msgId, LastSeenAt = now };
        _sessions[enrollmentId] = session;
        return session;
    }

    /// <summary>The session this message continues, or why it continues none.</summary>
    public (SyncSession? Session, string? Problem) Continue(Guid enrollmentId, string sessionId, int msgId)
    {
        var now = clock.GetUtcNow();
        if (!_sessions.TryGetValue(enrollmentId, out var session) || now - session.LastSeenAt > SessionLifetime)
            return (null, $"There is no session {sessionId} in progress for this device; a session starts with Alert 1201 or 1200.");
        lock (session)
        {
            if (session.SessionId != sessionId)
                return (null, $"SessionID {sessionId} is not the device's session in progress ({session.SessionId}).");
            if (msgId != session.DeviceMsgId + 1)
                return (null, $"MsgID {msgId} is not the next message of session {sessionId} (expected {session.DeviceMsgId + 1}).");
            session.DeviceMsgId = msgId;
            session.LastSeenAt = now;
        }
        return (session, null);
    }

    public void End(Guid enrollmentId) => _sessions.TryRemove(enrollmentId, out _);

    /// <summary>True when these facts differ from what the device last reported (or this server has not heard it yet); remembers them.</summary>
    public bool FactsChanged(Guid enrollmentId, DeviceFacts facts)
    {
        if (_reportedFacts.TryGetValue(enrollmentId, out var known) && known == facts) return false;
        if (_reportedFacts.Count >= Capacity) _reportedFacts.Clear();
        _reportedFacts[enrollmentId] = facts;
        return true;
    }

    /// <summary>Forget what a device reported (its write failed, or it enrolled again), so the next session writes it.</summary>
    public void ForgetFacts(Guid enrollmentId) => _reportedFacts.TryRemove(enrollmentId, out _);

    private void Sweep(DateTimeOffset now)
    {
        Interlocked.Exchange(ref _sweptAtTicks, now.UtcTicks);
        foreach (var (id, session) in _sessions)
            if (now - session.LastSeenAt > SessionLifetime) _sessions.TryRemove(id, out _);
    }
}
