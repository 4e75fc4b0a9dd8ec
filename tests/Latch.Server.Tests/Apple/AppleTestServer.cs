using System.Security.Cryptography.X509Certificates;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Tests.Storage;
using Latch.Devices.Apple;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// The real server in memory with the demo fleet's users, simulated Apple devices that enrol from real profiles, and
/// optionally a fake APNs on loopback (HTTP/2 over TLS) that the server's real APNs client pushes to.
/// </summary>
public sealed class AppleTestServer : IAsyncDisposable
{
    public const string Topic = "com.apple.mgmt.External.3f1c2b9e-latch-tests";
    public const string Ada = "ada.lovelace@demo.latch.example";
    public const string Grace = "grace.hopper@demo.latch.example";

    private readonly List<SimulatedAppleDevice> _devices = [];
    private string? _pushCertificatePath;
    private TestDatabase? _database;

    private AppleTestServer(LatchAppFactory app, FakeApns? apns)
    {
        App = app;
        Apns = apns;
    }

    public LatchAppFactory App { get; }

    /// <summary>Null when the server runs without a push certificate.</summary>
    public FakeApns? Apns { get; }

    public HttpClient Admin => App.ClientWith(LatchAppFactory.AdminToken);

    /// <param name="withPush">Configure a push certificate and point the APNs client at a local fake.</param>
    public static async Task<AppleTestServer> StartAsync(bool withPush, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken,
            ["Demo"] = "true",
            ["SimulatedDevices"] = "false",
            // Tests enrol many devices; ECDSA keys cost microseconds where RSA keys cost tens of milliseconds.
            ["Apple:DeviceKeyAlgorithm"] = "EcdsaP256",
            ["Apple:Apns:Topic"] = Topic,
        };
        FakeApns? apns = null;
        string? certificatePath = null;
        if (withPush)
        {
            apns = await FakeApns.StartAsync();
            using var certificate = FakeApns.CreatePushCertificate(Topic);
            certificatePath = Path.Combine(Path.GetTempPath(), $"latch-push-{Guid.NewGuid():N}.p12");
            await File.WriteAllBytesAsync(certificatePath, certificate.Export(X509ContentType.Pkcs12, "push-password"));
            all["Apple:Apns:BaseUrl"] = apns.BaseUrl.ToString();
            all["Apple:Apns:CertificatePath"] = certificatePath;
            all["Apple:Apns:CertificatePassword"] = "push-password";
            all["Apple:Apns:ServerCertificateSha256"] = apns.ServerCertificateSha256;
            all["Apple:Apns:RetryBaseDelay"] = "00:00:00.050";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;

        var server = new AppleTestServer(new LatchAppFactory(all), apns) { _pushCertificatePath = certificatePath };
        server.App.CreateClient();
        if (apns is not null)
        {
            // A push wakes the simulated device it is addressed to, as APNs wakes a real one.
            // The session runs on its own, as on a real device: APNs has long answered the server by then.
            apns.OnPush = push =>
            {
                SimulatedAppleDevice? device;
                lock (server._devices)
                    device = server._devices.FirstOrDefault(d => string.Equals(d.PushToken, push.DeviceToken, StringComparison.OrdinalIgnoreCase));
                if (device is not null && push.PushMagic is { } magic) _ = Task.Run(() => device.OnPushAsync(magic));
                return Task.CompletedTask;
            };
        }
        return server;
    }

    /// <summary>The same on one storage backend: SQLite in the data directory, or a PostgreSQL database of its own, dropped with the server.</summary>
    public static async Task<AppleTestServer> StartAsync(StorageBackend backend, bool withPush)
    {
        if (backend is not PostgresBackend) return await StartAsync(withPush);
        var database = await backend.CreateDatabaseAsync();
        await using var context = database.NewContext();
        var server = await StartAsync(withPush, new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["Database:ConnectionString"] = context.Database.GetConnectionString(),
        });
        server._database = database;
        return server;
    }

    /// <summary>Downloads a profile for the user (as the bootstrap Administrator) and makes a device from it, not yet enrolled.</summary>
    public async Task<SimulatedAppleDevice> NewDeviceAsync(AppleDeviceKind kind, string user = Ada, SimulatedAppleDeviceOptions? options = null)
    {
        var profile = await DownloadProfileAsync(user);
        var device = new SimulatedAppleDevice(profile, kind, App.CreateClient(), options);
        lock (_devices) _devices.Add(device);
        return device;
    }

    /// <summary>A device that has sent Authenticate and TokenUpdate and run its first session (the fact queries).</summary>
    /// <param name="pushAnswer">
    /// How the fake APNs answers pushes to this device from the start (before its first TokenUpdate's push): a test that
    /// drives the device's sessions itself passes a failure, so no push-woken session races with it.
    /// </param>
    public async Task<SimulatedAppleDevice> EnrolledDeviceAsync(AppleDeviceKind kind, string user = Ada, SimulatedAppleDeviceOptions? options = null,
        FakeApnsAnswer? pushAnswer = null)
    {
        var device = await NewDeviceAsync(kind, user, options);
        if (pushAnswer is not null) Apns!.Answer(device.PushToken, pushAnswer);
        await device.EnrollAsync();
        var session = await device.RunSessionAsync();
        Assert.True(session.Completed, session.Error?.ToString());
        return device;
    }

    public async Task<byte[]> DownloadProfileAsync(string user)
    {
        var response = await Admin.GetAsync($"/v1.0/latch/enrollmentProfiles/apple?user={Uri.EscapeDataString(user)}");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    public async Task<Guid> DeviceIdOfAsync(SimulatedAppleDevice device) =>
        await DbAsync(db => db.AppleEnrollments.Where(e => e.Udid == device.Udid && e.DeviceId != null)
            .OrderByDescending(e => e.AuthenticatedAt).Select(e => e.DeviceId!.Value).FirstAsync());

    public async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    /// <summary>Waits (up to a generous limit, never as an assertion of speed) until the action reaches a final state.</summary>
    public async Task<DeviceAction> ActionWhenFinishedAsync(Guid deviceId, Core.Rules.RemoteAction action)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var latest = await DbAsync(db => db.DeviceActions.AsNoTracking().Where(a => a.DeviceId == deviceId && a.Action == action)
                .OrderByDescending(a => a.RequestedAt).FirstOrDefaultAsync());
            if (latest is not null && latest.State.IsFinal()) return latest;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The {action} action on {deviceId} did not finish; it is {latest?.State.ToString() ?? "missing"}.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _devices) device.Dispose();
        await App.DisposeAsync();
        if (Apns is not null) await Apns.DisposeAsync();
        if (_pushCertificatePath is not null) File.Delete(_pushCertificatePath);
        if (_database is not null) await _database.DisposeAsync();
    }
}
