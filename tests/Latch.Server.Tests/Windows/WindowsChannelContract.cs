using System.Net;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Latch.Server.Tests.Channels;
using Latch.Server.Tests.Windows.Mdm;
using Latch.Server.Windows.Mdm;

namespace Latch.Server.Tests.Windows;

/// <summary>The Windows channel's harness for the channel contract: MS-MDE2 enrolment, OMA-DM over TLS with the issued certificate, WNS to a fake.</summary>
public abstract class WindowsChannelHarness(StorageBackend backend) : WindowsServerFixture(withPush: true, backend: backend), IChannelHarness
{
    public HttpClient Admin => Server.Admin;

    public IServiceProvider Services => Server.App.Services;

    public PasscodeSource ResetPasscode => PasscodeSource.FromDevice; // LockAndResetPIN makes it, NewPINValue returns it once

    // A Windows Phone 8.1 resets its PIN on every build; pushes reach the fake WNS but start no session: the contract drives them.
    public async Task<IChannelDevice> EnrolledDeviceAsync()
    {
        var simulated = await Server.EnrolledDeviceAsync(new SimulatedWindowsDeviceOptions { Kind = WindowsDeviceKind.WindowsPhone81, EcdsaKey = true },
            wakeOnPush: false);
        return new WindowsChannelDevice(Server, simulated, await Server.DeviceIdOfAsync(simulated));
    }

    public int WakeUpsOf(IChannelDevice device) => Server.Wns!.NotificationsTo(((WindowsChannelDevice)device).Simulated.PushChannelUri!).Count;

    private sealed class WindowsChannelDevice(WindowsTestServer server, SimulatedWindowsDevice simulated, Guid deviceId) : IChannelDevice
    {
        public SimulatedWindowsDevice Simulated { get; private set; } = simulated;

        public Guid DeviceId { get; } = deviceId;

        public string? PasscodeOnDevice => Simulated.Pin;

        public async Task<IReadOnlyList<Guid>> RunSessionAsync(bool putOffTheFirst = false)
        {
            if (putOffTheFirst) Simulated.RetryLater();
            var session = await Simulated.RunSessionAsync();
            Assert.True(session.Completed, session.Error);
            return session.Commands.Select(c => CommandRef.TryParse(c.CmdId, out var id, out _) ? id : Guid.Empty)
                .Where(id => id != Guid.Empty).Distinct().ToList();
        }

        // A package 1 of its own that also reports success on a command id of the test's choice.
        public async Task<HttpStatusCode> AcknowledgeAsync(Guid commandId)
        {
            var report = new SyncMessage
            {
                Header = Simulated.HeaderFor(Simulated.NextSessionId(), 1),
                Commands =
                [
                    new SyncAlert { CmdId = "1", Data = SyncAlertCodes.ClientInitiatedMgmt },
                    new SyncStatus { CmdId = "2", MsgRef = "1", CmdRef = CommandRef.Of(commandId), Cmd = "Exec", Data = "200" },
                ],
            };
            using var response = await Simulated.SendRawAsync(report.Encode());
            return response.StatusCode;
        }

        public async Task ReenrolAsync()
        {
            var again = await server.NewDeviceAsync(new SimulatedWindowsDeviceOptions
            {
                Kind = Simulated.Kind, EcdsaKey = true, DeviceId = Simulated.DeviceId, HardwareId = Simulated.HardwareId,
            }, wakeOnPush: false);
            await again.EnrollAsync();
            Simulated = again;
        }

        public Task UnenrolAsync() => Simulated.UnenrollAsync();
    }
}

public sealed class WindowsChannelOnSqliteServer() : WindowsChannelHarness(SqliteBackend.Instance);

public sealed class WindowsChannelOnPostgresServer() : WindowsChannelHarness(PostgresBackend.Instance);

public sealed class WindowsChannelOnSqlite(WindowsChannelOnSqliteServer channel)
    : DeviceChannelContract(channel), IClassFixture<WindowsChannelOnSqliteServer>;

public sealed class WindowsChannelOnPostgres(WindowsChannelOnPostgresServer channel)
    : DeviceChannelContract(channel), IClassFixture<WindowsChannelOnPostgresServer>;
