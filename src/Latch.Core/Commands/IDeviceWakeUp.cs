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

/// <summary>No push channel configured: devices find their commands when they next check in.</summary>
public sealed class NoDeviceWakeUp : IDeviceWakeUp
{
    public Task WakeAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
