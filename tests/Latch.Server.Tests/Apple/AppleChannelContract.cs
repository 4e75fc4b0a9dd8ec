using System.Net;
using Latch.Core.Tests.Storage;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;
using Latch.Server.Tests.Channels;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Apple;

/// <summary>The Apple channel's harness for the channel contract: real profiles, signed requests, the server's APNs client and a fake APNs.</summary>
public abstract class AppleChannelHarness(StorageBackend backend) : IChannelHarness, IAsyncLifetime
{
    private AppleTestServer? _started;
    private string? _skipped;

    // A test that asks for the server skips when its backend is not there (PostgreSQL without a server, locally).
    private AppleTestServer Server => _started ?? throw Xunit.Sdk.SkipException.ForSkip(_skipped ?? "The server did not start.");

    public HttpClient Admin => Server.Admin;

    public IServiceProvider Services => Server.App.Services;

    public PasscodeSource ResetPasscode => PasscodeSource.None; // ClearPasscode clears it; the user sets a new one

    public async ValueTask InitializeAsync()
    {
        try
        {
            _started = await AppleTestServer.StartAsync(backend, withPush: true);
        }
        catch (Xunit.Sdk.SkipException skip)
        {
            _skipped = skip.Message; // skipped in each test, which a class fixture cannot do for them
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started is not null) await _started.DisposeAsync();
    }

    // Made from a profile directly (not through AppleTestServer.NewDeviceAsync): a push reaches the fake APNs, and no
    // session is started by it, so the contract drives every session itself.
    public async Task<IChannelDevice> EnrolledDeviceAsync() => await AppleChannelDevice.EnrolAsync(Server, udid: null);

    public int WakeUpsOf(IChannelDevice device) => Server.Apns!.PushesTo(((AppleChannelDevice)device).Simulated.PushToken).Count;

    private sealed class AppleChannelDevice : IChannelDevice, IDisposable
    {
        private readonly AppleTestServer _server;

        private AppleChannelDevice(AppleTestServer server, SimulatedAppleDevice simulated, Guid deviceId)
        {
            _server = server;
            Simulated = simulated;
            DeviceId = deviceId;
        }

        public SimulatedAppleDevice Simulated { get; private set; }

        public Guid DeviceId { get; }

        public string? PasscodeOnDevice => null;

        public static async Task<AppleChannelDevice> EnrolAsync(AppleTestServer server, string? udid)
        {
            var simulated = await NewSimulatedAsync(server, udid);
            await simulated.EnrollAsync();
            var device = new AppleChannelDevice(server, simulated, await server.DeviceIdOfAsync(simulated));
            await device.RunSessionAsync(); // the first session: the queries that fill in the device's facts
            return device;
        }

        private static async Task<SimulatedAppleDevice> NewSimulatedAsync(AppleTestServer server, string? udid) =>
            new(await server.DownloadProfileAsync(AppleTestServer.Ada), AppleDeviceKind.IPhone, server.App.CreateClient(),
                new SimulatedAppleDeviceOptions { Udid = udid });

        public async Task<IReadOnlyList<Guid>> RunSessionAsync(bool putOffTheFirst = false)
        {
            if (putOffTheFirst) Simulated.AnswerNotNow();
            var session = await Simulated.RunSessionAsync();
            Assert.True(session.Completed, session.Error?.ToString());
            return session.Commands.Select(c => Guid.Parse(c.CommandUUID)).ToList();
        }

        public async Task<HttpStatusCode> AcknowledgeAsync(Guid commandId)
        {
            var acknowledged = Plist.Write(new PlistDict(
            [
                new("UDID", new PlistString(Simulated.Udid)),
                new("Status", new PlistString("Acknowledged")),
                new("CommandUUID", new PlistString(commandId.ToString().ToUpperInvariant())),
            ]));
            return (await Simulated.SendRawAsync(Simulated.Profile.ServerUrl, CommandResponse.ContentType, acknowledged)).StatusCode;
        }

        public async Task ReenrolAsync()
        {
            var again = await NewSimulatedAsync(_server, Simulated.Udid);
            await again.EnrollAsync();
            Simulated.Dispose();
            Simulated = again;
        }

        public Task UnenrolAsync() => Simulated.CheckOutAsync();

        public void Dispose() => Simulated.Dispose();
    }
}

public sealed class AppleChannelOnSqliteServer() : AppleChannelHarness(SqliteBackend.Instance);

public sealed class AppleChannelOnPostgresServer() : AppleChannelHarness(PostgresBackend.Instance);

public sealed class AppleChannelOnSqlite(AppleChannelOnSqliteServer channel)
    : DeviceChannelContract(channel), IClassFixture<AppleChannelOnSqliteServer>;

public sealed class AppleChannelOnPostgres(AppleChannelOnPostgresServer channel)
    : DeviceChannelContract(channel), IClassFixture<AppleChannelOnPostgresServer>;
