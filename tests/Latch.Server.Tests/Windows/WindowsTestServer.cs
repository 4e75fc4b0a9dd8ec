using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Latch.Server.Devices;
using Latch.Server.Windows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Windows;

/// <summary>
/// The real server on Kestrel over real TLS on loopback (the device port's certificate from Latch's CA, client
/// certificates asked for), with the demo fleet's users, simulated Windows devices that enrol through MS-MDE2 with
/// their own keys, and optionally a fake WNS that the server's real WNS client pushes to.
/// </summary>
public sealed class WindowsTestServer : IAsyncDisposable
{
    public const string Ada = "ada.lovelace@demo.latch.example";
    public const string Grace = "grace.hopper@demo.latch.example";

    private readonly List<SimulatedWindowsDevice> _devices = [];
    private readonly CancellationTokenSource _stopping = new();
    private TestDatabase? _database;

    private WindowsTestServer(LatchAppFactory app, FakeWns? wns, Uri baseUrl)
    {
        App = app;
        Wns = wns;
        BaseUrl = baseUrl;
        Admin = ClientFor(LatchAppFactory.AdminToken);
    }

    public LatchAppFactory App { get; }

    /// <summary>Null when the server runs without WNS credentials.</summary>
    public FakeWns? Wns { get; }

    /// <summary>The server's one address: HTTPS, every endpoint (the admin API and the Windows device endpoints).</summary>
    public Uri BaseUrl { get; }

    public HttpClient Admin { get; }

    /// <param name="services">Test services on top of the app's (a log capture, a clock), as LatchAppFactory takes them.</param>
    public static async Task<WindowsTestServer> StartAsync(StorageBackend backend, bool withPush = false, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken,
            ["Demo"] = "true",
            ["SimulatedDevices"] = "false",
        };
        TestDatabase? database = null;
        if (backend is PostgresBackend)
        {
            database = await backend.CreateDatabaseAsync();
            await using var context = database.NewContext();
            all["Database:Provider"] = "postgres";
            all["Database:ConnectionString"] = context.Database.GetConnectionString();
        }
        FakeWns? wns = null;
        if (withPush)
        {
            wns = await FakeWns.StartAsync();
            foreach (var (key, value) in wns.ServerSettings()) all[key] = value;
            all["Windows:PushPackageFamilyName"] = "Latch.Tests_8wekyb3d8bbwe";
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;

        var app = new LatchAppFactory(all, services);
        app.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(DevicePortCertificate.HttpsOptions(kestrel))));
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var server = new WindowsTestServer(app, wns, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/")) { _database = database };
        return server;
    }

    /// <summary>The device CA every Windows device is told to trust.</summary>
    public X509Certificate2 DeviceCa => App.Services.GetRequiredService<DeviceCertificateAuthority>().Certificate;

    /// <summary>A client of the admin API over the server's TLS (its certificate checked against the device CA).</summary>
    public HttpClient ClientFor(string? token)
    {
        var ca = App.Services.GetRequiredService<DeviceCertificateAuthority>().Certificate;
        var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return certificate is not null && chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        }) { BaseAddress = BaseUrl };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A single-use enrolment code for the user, issued through the API as an Administrator would.</summary>
    public async Task<string> IssueCodeAsync(string user = Ada, Guid? device = null)
    {
        var response = await Admin.PostAsJsonAsync("/v1.0/latch/enrollmentCodes", new { user, device });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("code").GetString()!;
    }

    /// <summary>A simulated device with a fresh code, not yet enrolled (ECDSA key unless the options say otherwise: fast to make).</summary>
    /// <param name="wakeOnPush">With a fake WNS: a push to the device's channel starts a session, as on a real device.</param>
    public async Task<SimulatedWindowsDevice> NewDeviceAsync(SimulatedWindowsDeviceOptions? options = null, string user = Ada, bool wakeOnPush = true)
    {
        var device = new SimulatedWindowsDevice(BaseUrl, user, await IssueCodeAsync(user),
            (options ?? new SimulatedWindowsDeviceOptions { EcdsaKey = true }) with { EnrollmentServerRoot = DeviceCa });
        if (Wns is not null)
        {
            device.PushChannelUri = Wns.NewChannel();
            if (wakeOnPush) _ = WakeOnPushAsync(Wns, device);
        }
        lock (_devices) _devices.Add(device);
        return device;
    }

    /// <summary>An enrolled device that has run its first session (the query that fills in its facts, the push channel).</summary>
    public async Task<SimulatedWindowsDevice> EnrolledDeviceAsync(SimulatedWindowsDeviceOptions? options = null, string user = Ada, bool wakeOnPush = true)
    {
        var device = await NewDeviceAsync(options, user, wakeOnPush);
        await device.EnrollAsync();
        var session = await device.RunSessionAsync();
        Assert.True(session.Completed, session.Error);
        return device;
    }

    public Task<Guid> DeviceIdOfAsync(SimulatedWindowsDevice device) =>
        DbAsync(db => db.WindowsEnrollments.Where(e => e.DeviceIdentifier == device.DeviceId && e.DeviceId != null)
            .OrderByDescending(e => e.EnrolledAt).Select(e => e.DeviceId!.Value).FirstAsync());

    public async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    public Task<HttpResponseMessage> RequestAsync(Guid deviceId, string action) =>
        Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{deviceId}/{action}", null);

    public Task<DeviceAction> LatestActionAsync(Guid deviceId, Core.Rules.RemoteAction action) =>
        DbAsync(db => db.DeviceActions.AsNoTracking().Where(a => a.DeviceId == deviceId && a.Action == action)
            .OrderByDescending(a => a.RequestedAt).ThenByDescending(a => a.Id).FirstAsync());

    // A push wakes the device it was sent to, as WNS wakes a real one: a session after a push starts with Alert 1200.
    private async Task WakeOnPushAsync(FakeWns wns, SimulatedWindowsDevice device)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await wns.NextNotificationAsync(device.PushChannelUri!, _stopping.Token);
                await device.RunSessionAsync(afterPush: true, _stopping.Token);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var device in _devices) device.Dispose();
        Admin.Dispose();
        await App.DisposeAsync();
        if (Wns is not null) await Wns.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        _stopping.Dispose();
    }
}
