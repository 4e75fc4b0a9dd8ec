using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latch.Server.Apple.Push;

public static class ApplePushServiceCollectionExtensions
{
    /// <summary>
    /// APNs wake-ups for Apple devices: <see cref="ApnsOptions"/> from <c>Apple:Apns</c> (checked at start), one
    /// <see cref="ApnsClient"/>, and the <see cref="ApplePushDispatcher"/> as a singleton that is also the hosted service
    /// sending the pushes. Needs <see cref="Latch.Core.Data.LatchDbContext"/> registered (to mark dead tokens).
    /// </summary>
    public static IServiceCollection AddApplePush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApnsOptions>().Bind(configuration.GetSection(ApnsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApnsClient>();
        services.TryAddSingleton<ApplePushDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<ApplePushDispatcher>());
        return services;
    }
}
