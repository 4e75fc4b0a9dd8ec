using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Latch.Core.Commands;

/// <summary>
/// Tells devices that commands are waiting (Apple: an APNs push; Windows: WNS; Android: FCM), so they check in now
/// rather than at their next poll. Called after the commands are committed; a wake-up that fails loses nothing,
/// because the device gets its commands at its next check-in anyway.
/// </summary>
public interface IDeviceWakeUp
{
    Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default);
}

/// <summary>
/// One channel's push: how it reaches the devices enrolled through it. Each channel registers one with its
/// <c>AddXxxChannel</c>; <see cref="DeviceWakeUps"/> calls it with that channel's devices only.
/// </summary>
public interface IChannelWakeUp
{
    /// <summary>The channel's name, as its devices' <see cref="Devices.Device.EnrolledThrough"/> carries it.</summary>
    string Channel { get; }

    Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default);
}

/// <summary>
/// Wakes each device through the channel it is enrolled through, every registered channel at once. A device that no
/// registered channel reaches (not enrolled, or its channel has no push) finds its commands at its next check-in.
/// </summary>
public sealed class DeviceWakeUps(LatchDbContext db, IEnumerable<IChannelWakeUp> channels, ILogger<DeviceWakeUps> logger) : IDeviceWakeUp
{
    // Two registrations of one channel name are a wiring mistake: ToDictionary says so at the first wake-up.
    private readonly Dictionary<string, IChannelWakeUp> _channels = channels.ToDictionary(c => c.Channel, StringComparer.Ordinal);

    public async Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
    {
        if (deviceIds.Count == 0 || _channels.Count == 0) return;
        List<(Guid Id, string Channel)> enrolled;
        try
        {
            var ids = deviceIds.ToList();
            enrolled = (await db.Devices.AsNoTracking()
                    .Where(d => EF.Parameter(ids).Contains(d.Id) && d.EnrolledThrough != null && d.UnenrolledAt == null)
                    .Select(d => new { d.Id, d.EnrolledThrough }).ToListAsync(cancellationToken))
                .Select(d => (d.Id, d.EnrolledThrough!)).ToList();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Could not find the channels of {Count} device(s) to wake.", deviceIds.Count);
            return;
        }

        await Task.WhenAll(enrolled.GroupBy(d => d.Channel).Select(async group =>
        {
            if (!_channels.TryGetValue(group.Key, out var channel)) return;
            try
            {
                await channel.WakeAsync(group.Select(d => d.Id).ToList(), cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The commands are committed: these devices still get them at their next check-in.
                logger.LogWarning(exception, "The {Channel} channel could not wake {Count} device(s).", group.Key, group.Count());
            }
        }));
    }
}
