using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Latch.Core.Actions;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Mdm;

/// <summary>One Windows test server for a test class (xUnit's class fixture), started with the class's settings; SQLite unless told.</summary>
public abstract class WindowsServerFixture(bool withPush = false, IDictionary<string, string?>? settings = null, StorageBackend? backend = null)
    : IAsyncLifetime
{
    private WindowsTestServer? _server;
    private string? _skipped;

    /// <summary>The server; a test that asks for it skips when its backend is not there (PostgreSQL without a server, locally).</summary>
    public WindowsTestServer Server => _server ?? throw Xunit.Sdk.SkipException.ForSkip(_skipped ?? "The server did not start.");

    public async ValueTask InitializeAsync()
    {
        try
        {
            _server = await WindowsTestServer.StartAsync(backend ?? SqliteBackend.Instance, withPush, settings);
        }
        catch (Xunit.Sdk.SkipException skip)
        {
            _skipped = skip.Message; // skipped in each test, which a fixture cannot do for them
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>What the Windows tests do again and again, as intent methods on the server.</summary>
internal static class WindowsScenarios
{
    public static readonly SimulatedWindowsDeviceOptions Mobile = new() { Kind = WindowsDeviceKind.Windows10Mobile, EcdsaKey = true, AzureAdJoined = true };
    public static readonly SimulatedWindowsDeviceOptions Phone81 = new() { Kind = WindowsDeviceKind.WindowsPhone81, EcdsaKey = true };

    /// <summary>An enrolled device that has run its first session, and its Latch id.</summary>
    public static async Task<(SimulatedWindowsDevice Device, Guid Id)> EnrolledAsync(this WindowsTestServer server, SimulatedWindowsDeviceOptions options,
        bool wakeOnPush = false)
    {
        var device = await server.EnrolledDeviceAsync(options, wakeOnPush: wakeOnPush);
        return (device, await server.DeviceIdOfAsync(device));
    }

    /// <summary>
    /// Asks for the action through the Graph API and returns its record: 204 when it is queued, 400 notSupported with
    /// the rules' reason (the same as the record's) when it is refused.
    /// </summary>
    public static async Task<DeviceAction> RequestedAsync(this WindowsTestServer server, Guid deviceId, RemoteAction action)
    {
        using var response = await server.RequestAsync(deviceId, action == RemoteAction.RemoteLock ? "remoteLock" : "resetPasscode");
        var record = await server.LatestActionAsync(deviceId, action);
        if (record.State == DeviceActionState.NotSupported && record.CommandId is null)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("notSupported", error.GetProperty("code").GetString());
            Assert.Equal(record.Reason, error.GetProperty("message").GetString());
        }
        else
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        return record;
    }

    /// <summary>One session of the device's own (Alert 1201) that must complete.</summary>
    public static async Task<WindowsSessionResult> SessionAsync(this SimulatedWindowsDevice device)
    {
        var session = await device.RunSessionAsync();
        Assert.True(session.Completed, session.Error);
        return session;
    }

    /// <summary>
    /// The action once it is final: for work done in the background (a WNS push and the session it starts). A generous
    /// deadline, never a test of speed.
    /// </summary>
    public static async Task<DeviceAction> FinishedAsync(this WindowsTestServer server, Guid deviceId, RemoteAction action)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var latest = await server.LatestActionAsync(deviceId, action);
            if (latest.State.IsFinal()) return latest;
            if (DateTime.UtcNow > deadline) Assert.Fail($"The {action} action on {deviceId} did not finish; it is {latest.State}.");
            await Task.Delay(25);
        }
    }

    public static Task<Core.Commands.Command> CommandOfAsync(this WindowsTestServer server, DeviceAction action) =>
        server.DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.Id == action.CommandId));

    public static Task<DeviceAction> ActionAsync(this WindowsTestServer server, Guid actionId) =>
        server.DbAsync(db => db.DeviceActions.AsNoTracking().SingleAsync(a => a.Id == actionId));

    public static Task<int> TransitionsOfAsync(this WindowsTestServer server, Guid actionId) =>
        server.DbAsync(db => db.DeviceActionTransitions.CountAsync(t => t.DeviceActionId == actionId));

    /// <summary>A client of the device port that presents <paramref name="certificate"/> (or none), the server's certificate checked against the device CA.</summary>
    public static HttpClient ClientWithCertificate(this WindowsTestServer server, X509Certificate2? certificate)
    {
        var ca = server.DeviceCa;
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return presented is not null && chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
                },
            },
        }) { BaseAddress = server.BaseUrl };
    }

    public static async Task<HttpResponseMessage> PostSyncMlAsync(this HttpClient client, Uri url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(SyncMessage.ContentType);
        return await client.PostAsync(url, content);
    }
}
