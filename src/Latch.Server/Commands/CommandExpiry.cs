using Latch.Core.Actions;
using Latch.Core.Commands;
using Microsoft.Extensions.Options;

namespace Latch.Server.Commands;

/// <summary>Expires commands that waited past their lifetime, so their actions end as failed instead of pending forever.</summary>
internal sealed partial class CommandExpiry(
    IServiceScopeFactory scopes, TimeProvider clock, IOptions<CommandQueueOptions> options, ILogger<CommandExpiry> logger)
    : BackgroundService
{
    private const int Batch = 1_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ExpirySweepInterval, clock);
        do
        {
            try
            {
                int expired;
                do
                {
                    await using var scope = scopes.CreateAsyncScope();
                    expired = await scope.ServiceProvider.GetRequiredService<DeviceActions>().ExpireOverdueAsync(Batch, stoppingToken);
                    if (expired > 0) LogExpired(expired);
                } while (expired == Batch);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSweepFailed(exception);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired {Count} command(s) that their devices did not fetch in time")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The command expiry sweep failed; it runs again at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
