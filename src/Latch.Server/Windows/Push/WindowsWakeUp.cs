using System.Text;
using System.Threading.Channels;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Server.Windows.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Windows.Push;

/// <summary>
/// Wakes Windows devices that have commands waiting: a WNS raw notification to each device's channel URI (the DMClient
/// CSP registers it for the configured package family name), which makes the DM client open a session (Alert 1200).
/// Without WNS credentials nothing is sent and devices get their commands at their next poll.
/// </summary>
public sealed class WindowsWakeUp(LatchDbContext db, WnsClient wns, WindowsPushDispatcher dispatcher, ILogger<WindowsWakeUp> logger) : IChannelWakeUp
{
    public string Channel => WindowsEnrollments.Channel;

    public async Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
    {
        if (!wns.IsConfigured || deviceIds.Count == 0) return;
        try
        {
            var ids = deviceIds.ToList();
            var targets = await db.WindowsEnrollments.AsNoTracking()
                .Where(e => e.State == WindowsEnrollmentState.Enrolled && e.PushChannelUri != null && e.PushChannelDeadAt == null
                            && e.DeviceId != null && EF.Parameter(ids).Contains(e.DeviceId.Value))
                .Select(e => new WindowsPushTarget(e.Id, e.PushChannelUri!))
                .ToListAsync(cancellationToken);
            foreach (var target in targets) dispatcher.Enqueue(target);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The commands are committed: the devices still get them at their next poll.
            logger.LogWarning(exception, "Could not queue WNS wake-ups for {Count} device(s).", deviceIds.Count);
        }
    }
}

public sealed record WindowsPushTarget(Guid EnrollmentId, string ChannelUri);

/// <summary>
/// Sends the wake-ups in the background, a few at once, so an action on thousands of devices returns as soon as its
/// commands are committed. A channel WNS says is gone (404/410) is marked dead until the device reports a new one.
/// </summary>
public sealed class WindowsPushDispatcher(WnsClient wns, IServiceScopeFactory scopes, TimeProvider clock, ILogger<WindowsPushDispatcher> logger)
    : BackgroundService
{
    // The raw notification's body: WNS delivers it to the DM client, which starts a session whatever it says.
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("latch:sync");
    private const int Concurrency = 16;

    private readonly Channel<WindowsPushTarget> _queue = Channel.CreateBounded<WindowsPushTarget>(
        new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = false });
    private long _sent, _gone, _failed;

    /// <summary>Pushes answered Delivered, ChannelGone, and anything else, so far.</summary>
    public (long Sent, long Gone, long Failed) Counters => (Interlocked.Read(ref _sent), Interlocked.Read(ref _gone), Interlocked.Read(ref _failed));

    public void Enqueue(WindowsPushTarget target)
    {
        if (!_queue.Writer.TryWrite(target))
            logger.LogWarning("The WNS queue is full; a device is not woken and gets its commands at its next poll.");
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Parallel.ForEachAsync(_queue.Reader.ReadAllAsync(stoppingToken), new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = stoppingToken },
            async (target, token) =>
            {
                try
                {
                    await SendAsync(target, token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Interlocked.Increment(ref _failed);
                    logger.LogWarning(exception, "A WNS wake-up failed; the device gets its commands at its next poll.");
                }
            });

    private async Task SendAsync(WindowsPushTarget target, CancellationToken cancellationToken)
    {
        var result = await wns.SendRawAsync(target.ChannelUri, Payload, cancellationToken);
        switch (result.Outcome)
        {
            case WnsOutcome.Delivered:
                Interlocked.Increment(ref _sent);
                break;
            case WnsOutcome.ChannelGone:
                Interlocked.Increment(ref _gone);
                await using (var scope = scopes.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
                    var now = clock.GetUtcNow();
                    await db.WindowsEnrollments.Where(e => e.Id == target.EnrollmentId && e.PushChannelUri == target.ChannelUri)
                        .ExecuteUpdateAsync(set => set.SetProperty(e => e.PushChannelDeadAt, now), cancellationToken);
                }
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
    }
}
