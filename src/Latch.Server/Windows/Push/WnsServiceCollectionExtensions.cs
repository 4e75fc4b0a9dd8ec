using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latch.Server.Windows.Push;

public static class WnsServiceCollectionExtensions
{
    /// <summary>
    /// WNS raw notifications for Windows devices: <see cref="WnsOptions"/> from <c>Windows:Wns</c> (checked at start) and
    /// one <see cref="WnsClient"/>. With nothing configured the client is there and answers NotConfigured.
    /// </summary>
    public static IServiceCollection AddWnsPush(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WnsOptions>().Bind(configuration.GetSection(WnsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WnsClient>();
        return services;
    }
}
