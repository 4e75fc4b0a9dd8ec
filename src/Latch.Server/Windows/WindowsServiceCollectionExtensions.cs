using Latch.Core.Commands;
using Latch.Server.Devices;
using Latch.Server.Windows.Enrollment;
using Latch.Server.Windows.Mdm;
using Latch.Server.Windows.Push;

namespace Latch.Server.Windows;

public static class WindowsServiceCollectionExtensions
{
    /// <summary>The Windows MDM channel: MS-MDE2 enrolment, OMA-DM sessions, WNS wake-ups, the device HTTPS port's certificate.</summary>
    public static IServiceCollection AddWindowsChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WindowsOptions>().Bind(configuration.GetSection(WindowsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddDeviceCertificateAuthority();
        services.AddWnsPush(configuration);
        services.AddSingleton<SyncSessions>();
        services.AddSingleton<DevicePortCertificate>();
        services.AddScoped<WindowsEnrollments>();
        services.AddScoped<WindowsEnrollmentFaults>();
        services.AddScoped<WindowsEnrollmentCredentials>();
        services.AddScoped<WindowsDeviceRequests>();
        services.AddSingleton<WindowsPushDispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<WindowsPushDispatcher>());
        services.AddScoped<WindowsWakeUp>();
        services.AddScoped<IChannelWakeUp>(provider => provider.GetRequiredService<WindowsWakeUp>());
        return services;
    }

    public static void MapWindowsChannel(this IEndpointRouteBuilder app)
    {
        app.MapWindowsEnrollment();
        app.MapWindowsMdm();
    }
}
