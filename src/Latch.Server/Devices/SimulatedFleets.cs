using Latch.Core.Data;
using Latch.Core.Demo;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Latch.Server.Devices;

/// <summary>What every channel's simulated demo fleet needs from the host: when to start, and where to reach the server.</summary>
public static class SimulatedFleets
{
    /// <summary>Waits until the server listens; true when the demo fleet is in the database (false when stopping first).</summary>
    public static async Task<bool> WhenDemoStartedAsync(IHostApplicationLifetime lifetime, IServiceScopeFactory scopes, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            await using var scope = scopes.CreateAsyncScope();
            return await DemoFleet.IsSeededAsync(scope.ServiceProvider.GetRequiredService<LatchDbContext>(), stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The server's own first address of this scheme ("http" or "https"), with a wildcard host made the loopback address.</summary>
    public static Uri? LoopbackAddress(IServer server, string scheme)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .FirstOrDefault(a => a.StartsWith(scheme + "://", StringComparison.OrdinalIgnoreCase));
        if (address is null) return null;
        var uri = new Uri(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal));
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }
}
