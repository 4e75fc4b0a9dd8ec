using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Server.Apple.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Apple.Push;

/// <summary>
/// Wakes Apple devices that have commands waiting: one MDM push each, sent in the background by the dispatcher.
/// Without a push certificate nothing is sent and devices get their commands at their next check-in.
/// </summary>
public sealed class AppleWakeUp(LatchDbContext db, ApnsClient apns, ApplePushDispatcher dispatcher, ILogger<AppleWakeUp> logger) : IChannelWakeUp
{
    public string Channel => AppleEnrollments.Channel;

    /// <summary>The APNs topic devices must name: the push certificate's, or the configured one without a certificate.</summary>
    public string Topic => apns.Topic;

    public bool PushesEnabled => apns.IsEnabled;

    /// <summary>Queues a push for each of these devices that has an Apple enrolment with a live push token.</summary>
    public async Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
    {
        if (!apns.IsEnabled || deviceIds.Count == 0) return;
        try
        {
            var ids = deviceIds.ToList();
            var targets = await db.AppleEnrollments.AsNoTracking()
                .Where(e => e.State == AppleEnrollmentState.Enrolled && e.PushToken != null && e.PushMagic != null && e.Topic != null
                            && e.PushTokenInvalidAt == null && e.DeviceId != null && EF.Parameter(ids).Contains(e.DeviceId.Value))
                .Select(e => new ApplePushTarget(e.PushToken!, e.PushMagic!, e.Topic!))
                .ToListAsync(cancellationToken);
            foreach (var target in targets)
                dispatcher.Enqueue(target);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The commands are committed: the devices still get them at their next check-in.
            logger.LogWarning(exception, "Could not queue wake-up pushes for {Count} device(s).", deviceIds.Count);
        }
    }
}
