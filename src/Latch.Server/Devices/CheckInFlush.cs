using Latch.Core.Devices;

namespace Latch.Server.Devices;

/// <summary>Writes the devices' last check-ins (<see cref="CheckInRecorder"/>) every few seconds, and once more when the server stops.</summary>
public sealed class CheckInFlush(CheckInRecorder recorder, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInRecorder.FlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await recorder.FlushAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await recorder.FlushAsync(cancellationToken);
    }
}
