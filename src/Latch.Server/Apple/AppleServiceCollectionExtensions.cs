using Latch.Core.Commands;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Apple.Mdm;
using Latch.Server.Apple.Push;
using Latch.Server.Devices;

namespace Latch.Server.Apple;

public static class AppleServiceCollectionExtensions
{
    /// <summary>The Apple MDM channel: enrolment CA and profiles, device request checks, APNs wake-ups.</summary>
    public static IServiceCollection AddAppleChannel(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AppleOptions>().Bind(configuration.GetSection(AppleOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddDeviceCertificateAuthority();
        services.AddApplePush(configuration);
        services.AddScoped<AppleEnrollments>();
        services.AddScoped<AppleEnrollmentProfiles>();
        services.AddSingleton<MdmSignatureVerifier>();
        services.AddScoped<AppleDeviceRequests>();
        services.AddScoped<AppleWakeUp>();
        services.AddScoped<IChannelWakeUp>(provider => provider.GetRequiredService<AppleWakeUp>());
        return services;
    }

    public static void MapAppleChannel(this IEndpointRouteBuilder app)
    {
        app.MapEnrollmentProfiles();
        app.MapAppleMdm();
    }
}
