using Latch.Core.Data;
using Latch.Core.Secrets;

namespace Latch.Server.Apple.Enrollment;

public static class AppleEnrollmentServiceCollectionExtensions
{
    /// <summary>
    /// The enrolment CA, one per process, loaded from the database (or created there) when first resolved. Resolve it
    /// once at start, after the database is migrated, so that happens before the first device arrives.
    /// </summary>
    public static IServiceCollection AddAppleEnrollment(this IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            using var scope = provider.CreateScope();
            // A factory cannot be async; this runs once, at start, on a thread with no synchronisation context.
            return AppleCertificateAuthority.LoadOrCreateAsync(
                    scope.ServiceProvider.GetRequiredService<LatchDbContext>(),
                    provider.GetRequiredService<SecretProtector>(),
                    provider.GetRequiredService<TimeProvider>())
                .GetAwaiter().GetResult();
        });
        return services;
    }
}
