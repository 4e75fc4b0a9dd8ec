using Latch.Core.Data;
using Latch.Core.Secrets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latch.Server.Devices;

public static class DeviceCertificateAuthorityServiceCollectionExtensions
{
    /// <summary>
    /// The device CA, one per process, loaded from the database (or created there) when first resolved; every channel
    /// that issues device identities adds it (once). Resolve it once at start, after the database is migrated, so that
    /// happens before the first device arrives.
    /// </summary>
    public static IServiceCollection AddDeviceCertificateAuthority(this IServiceCollection services)
    {
        services.TryAddSingleton(provider =>
        {
            using var scope = provider.CreateScope();
            // A factory cannot be async; this runs once, at start, on a thread with no synchronisation context.
            return DeviceCertificateAuthority.LoadOrCreateAsync(
                    scope.ServiceProvider.GetRequiredService<LatchDbContext>(),
                    provider.GetRequiredService<SecretProtector>(),
                    provider.GetRequiredService<TimeProvider>())
                .GetAwaiter().GetResult();
        });
        return services;
    }
}
