using Latch.Core.Data;
using Latch.Core.Demo;
using Latch.Core.Devices;
using Latch.Devices.Apple;
using Latch.Server.Apple.Enrollment;
using Microsoft.AspNetCore.Hosting.Server;
using Latch.Server.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Server.Apple.Demo;

/// <summary>
/// The demo fleet's Apple devices, alive: simulated devices (Latch.Devices) enrol from real signed profiles for those
/// device records and then check in over loopback HTTP like real ones, so an action on them completes in the demo.
/// They are simulated and say so (log, audit "issued by", the device's own error texts). They enrol afresh at every
/// start (their identities live in memory only), which the audit trail shows as a re-enrolment.
/// </summary>
public sealed class SimulatedAppleFleet(
    IServiceScopeFactory scopes, IServer server, IHostApplicationLifetime lifetime, IOptions<LatchOptions> options,
    ILogger<SimulatedAppleFleet> logger) : BackgroundService
{
    public const string IssuedBy = "demo (simulated devices)";

    private readonly List<SimulatedAppleDevice> _devices = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await SimulatedFleets.WhenDemoStartedAsync(lifetime, scopes, stoppingToken)) return;
        if (!options.Value.SimulatedDevices || options.Value.Demo == false) return;
        if (SimulatedFleets.LoopbackAddress(server, "http") is not { } baseUrl)
        {
            logger.LogWarning("Simulated demo devices are off: the server listens on no http:// address they could reach.");
            return;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            await EnrolAsync(baseUrl, http, stoppingToken);
            if (_devices.Count == 0) return;
            logger.LogInformation("Demo: {Count} simulated Apple devices enrolled and checking in every {Interval} over {Url} (simulated, not real devices).",
                _devices.Count, options.Value.SimulatedCheckInInterval, baseUrl);

            using var timer = new PeriodicTimer(options.Value.SimulatedCheckInInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await Task.WhenAll(_devices.Select(device => SessionAsync(device, stoppingToken)));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var device in _devices) device.Dispose();
        }
    }

    private async Task EnrolAsync(Uri baseUrl, HttpClient http, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var profiles = scope.ServiceProvider.GetRequiredService<AppleEnrollmentProfiles>();
        var ids = DemoFleet.SimulatedAppleDevices.ToList();
        var records = await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id) && d.OwnerId != null && d.UnenrolledAt == null)
            .ToListAsync(cancellationToken);

        foreach (var record in records)
        {
            var profile = await profiles.IssueAsync(record.OwnerId!.Value, IssuedBy, baseUrl, record.Id, cancellationToken);
            var device = new SimulatedAppleDevice(profile, record.Platform == Platform.MacOS ? AppleDeviceKind.Mac : KindOf(record), http,
                new SimulatedAppleDeviceOptions
                {
                    DeviceName = record.Name, OSVersion = record.OsVersion.ToString(), SerialNumber = record.SerialNumber,
                    PasscodeSet = record.PasscodeSet, Supervised = record.Supervised,
                });
            try
            {
                await device.EnrollAsync(cancellationToken);
                _devices.Add(device);
            }
            catch (AppleMdmRequestException exception)
            {
                logger.LogWarning("Simulated device {Name} could not enrol: {Error}", record.Name, exception.Message);
                device.Dispose();
            }
        }
    }

    private async Task SessionAsync(SimulatedAppleDevice device, CancellationToken cancellationToken)
    {
        var session = await device.RunSessionAsync(cancellationToken);
        foreach (var command in session.Commands.Where(c => c.RequestType is not ("DeviceInformation" or "SecurityInfo")))
            logger.LogInformation("Simulated {Device} answered {RequestType}: {Answer}", device.DeviceName, command.RequestType, command.Answer);
        if (session.Error is { } error)
            logger.LogWarning("Simulated {Device}: {Error}", device.DeviceName, error);
    }

    private static AppleDeviceKind KindOf(Device record) =>
        record.Model?.StartsWith("iPad", StringComparison.Ordinal) == true ? AppleDeviceKind.IPad : AppleDeviceKind.IPhone;
}
