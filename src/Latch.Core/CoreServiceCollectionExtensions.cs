using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Groups;
using Latch.Core.Secrets;
using Latch.Core.Sessions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Latch.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// The domain services. The host adds the database provider (with its bulk writer), Data Protection and the options'
    /// binding, and gives its contexts every registered <see cref="IInterceptor"/> (<see cref="EnrollmentWrites"/> among them).
    /// </summary>
    public static IServiceCollection AddLatchCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CommandQueueOptions>();
        services.AddOptions<DatabaseWriters>();
        services.AddSingleton<QuietDevices>();
        services.AddSingleton<DeviceIdentities>();
        services.AddSingleton<EnrollmentWrites>();
        services.AddSingleton<IInterceptor>(provider => provider.GetRequiredService<EnrollmentWrites>());
        services.AddScoped<DeviceEnrollments>();
        services.AddScoped<EnrollmentCodes>();
        services.AddSingleton<SecretProtector>();
        services.AddSingleton<BulkInsert>();
        services.AddSingleton<DatabaseErrors>();
        services.AddSingleton<WriteBatcher>();
        services.AddSingleton<CheckInRecorder>();
        services.AddSingleton<DeviceSessions>();
        services.AddScoped<CommandQueue>();
        services.AddScoped<DeviceActions>();
        services.AddScoped<ActionPreview>();
        services.AddScoped<LostDevices>();
        services.AddScoped<GroupDirectory>();
        services.AddSingleton<TokenHasher>();
        services.AddScoped<ApiTokens>();
        services.AddScoped<IDeviceWakeUp, DeviceWakeUps>();
        return services;
    }
}
