using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Groups;
using Latch.Core.Secrets;
using Latch.Core.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latch.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>The domain services. The host adds the database provider (with its bulk writer), Data Protection and the options' binding.</summary>
    public static IServiceCollection AddLatchCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CommandQueueOptions>();
        services.AddOptions<DatabaseWriters>();
        services.AddSingleton<QuietDevices>();
        services.AddSingleton<AppleEnrollmentCache>();
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<BulkInsert>();
        services.AddSingleton<WriteBatcher>();
        services.AddSingleton<CheckInRecorder>();
        services.AddSingleton<DeviceSessions>();
        services.AddScoped<CommandQueue>();
        services.AddScoped<DeviceActions>();
        services.AddScoped<ActionPreview>();
        services.AddScoped<LostDevices>();
        services.AddScoped<GroupDirectory>();
        services.AddScoped<ApiTokens>();
        services.AddScoped<AppleEnrollments>();
        services.TryAddScoped<IDeviceWakeUp, NoDeviceWakeUp>();
        return services;
    }
}
