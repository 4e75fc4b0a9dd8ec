using System.Security.Cryptography;
using System.Text;
using Latch.Core.Data;
using Latch.Core.Demo;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Devices.Windows;
using Latch.Server.Devices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows.Demo;

/// <summary>
/// The demo fleet's Windows devices, alive: simulated devices (Latch.Devices) enrol through MS-MDE2 on the device port
/// with enrolment codes issued for those device records, then poll over TLS with their issued certificates like real
/// ones, so a lock or PIN reset on them completes in the demo. They are simulated and say so (log, audit "issued by").
/// They enrol afresh at every start (their keys live in memory only), which the audit trail shows as a re-enrolment.
/// </summary>
public sealed class SimulatedWindowsFleet(
    IServiceScopeFactory scopes, IServer server, IHostApplicationLifetime lifetime, IOptions<LatchOptions> options,
    DeviceCertificateAuthority authority, ILogger<SimulatedWindowsFleet> logger) : BackgroundService
{
    public const string IssuedBy = "demo (simulated devices)";

    private readonly List<SimulatedWindowsDevice> _devices = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await SimulatedFleets.WhenDemoStartedAsync(lifetime, scopes, stoppingToken)) return;
        if (!options.Value.SimulatedDevices || options.Value.Demo == false) return;
        if (SimulatedFleets.LoopbackAddress(server, "https") is not { } baseUrl)
        {
            logger.LogWarning("Simulated demo Windows devices are off: the server has no https:// device port (LATCH_Windows__DevicePort).");
            return;
        }
        try
        {
            await EnrolAsync(baseUrl, stoppingToken);
            if (_devices.Count == 0) return;
            logger.LogInformation("Demo: {Count} simulated Windows devices enrolled and polling every {Interval} over {Url} (simulated, not real devices).",
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

    private async Task EnrolAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        List<(Device Record, string Upn, string Code)> enrolments = [];
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            var codes = scope.ServiceProvider.GetRequiredService<EnrollmentCodes>();
            var ids = DemoFleet.SimulatedWindowsDevices.ToList();
            var records = await db.Devices.AsNoTracking().Where(d => ids.Contains(d.Id) && d.OwnerId != null && d.UnenrolledAt == null)
                .ToListAsync(cancellationToken);
            foreach (var record in records)
            {
                var owner = await db.Users.AsNoTracking().FirstAsync(u => u.Id == record.OwnerId, cancellationToken);
                var code = await codes.IssueAsync(owner, IssuedBy, TimeSpan.FromMinutes(10), record.Id, cancellationToken);
                enrolments.Add((record, owner.UserPrincipalName, code.Code));
            }
        }
        foreach (var (record, upn, code) in enrolments)
        {
            var device = new SimulatedWindowsDevice(baseUrl, upn, code, new SimulatedWindowsDeviceOptions
            {
                Kind = KindOf(record.Platform), OsVersion = record.OsVersion.ToString(), AzureAdJoined = record.AzureAdJoined, PinSet = record.PasscodeSet,
                DeviceName = record.Name, Manufacturer = record.Manufacturer, Model = record.Model,
                // The same hardware at every start: its DeviceID and HWDevID come from the record.
                DeviceId = Hex(record.Id, "device", 16), HardwareId = Hex(record.Id, "hardware", 32),
                SignedIn = record.CurrentUserId is { } current && current != record.EnrolledByUserId ? "others" : "user",
                EnrollmentServerRoot = authority.Certificate,
            });
            try
            {
                await device.EnrollAsync(cancellationToken);
                _devices.Add(device);
            }
            catch (WindowsMdmException exception)
            {
                logger.LogWarning("Simulated device {Name} could not enrol: {Error}", record.Name, exception.Message);
                device.Dispose();
            }
        }
    }

    private async Task SessionAsync(SimulatedWindowsDevice device, CancellationToken cancellationToken)
    {
        var session = await device.RunSessionAsync(cancellationToken: cancellationToken);
        foreach (var command in session.Commands.Where(c => c.Target?.Contains("RemoteLock", StringComparison.Ordinal) == true))
            logger.LogInformation("Simulated {Device} answered {Command} {Target}: {Status} ({Answer})", device.DeviceName, command.Name, command.Target,
                command.Status, command.Answer);
        if (session.Error is { } error) logger.LogWarning("Simulated {Device}: {Error}", device.DeviceName, error);
    }

    private static WindowsDeviceKind KindOf(Platform platform) => platform switch
    {
        Platform.Windows10Mobile => WindowsDeviceKind.Windows10Mobile,
        Platform.WindowsPhone81 => WindowsDeviceKind.WindowsPhone81,
        Platform.WindowsRT => WindowsDeviceKind.WindowsRT,
        Platform.Windows81 => WindowsDeviceKind.Windows81,
        _ => WindowsDeviceKind.Windows10Desktop,
    };

    private static string Hex(Guid id, string what, int bytes) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"latch-demo-windows:{what}:{id}")).AsSpan(0, bytes));
}
