using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

/// <summary>A fake server and one device enrolled with it.</summary>
public sealed class Enrolled : IAsyncDisposable
{
    private Enrolled(FakeMdmServer server, SimulatedAppleDevice device)
    {
        Server = server;
        Device = device;
    }

    public FakeMdmServer Server { get; }

    public SimulatedAppleDevice Device { get; }

    public static async Task<Enrolled> StartAsync(AppleDeviceKind kind, SimulatedAppleDeviceOptions? options = null)
    {
        var server = await FakeMdmServer.StartAsync();
        var device = new SimulatedAppleDevice(server.Profile(), kind, server.Client, options);
        await device.EnrollAsync(TestContext.Current.CancellationToken);
        return new Enrolled(server, device);
    }

    public static string NewUuid() => Guid.NewGuid().ToString("D").ToUpperInvariant();

    /// <summary>Queues the command for this device, runs a session, and returns the device's report on it.</summary>
    public async Task<CommandResponse> SendAsync(MdmCommand command)
    {
        Server.Enqueue(command, Device.Udid);
        var session = await Device.RunSessionAsync(TestContext.Current.CancellationToken);
        Assert.True(session.Completed, session.Error?.ToString());
        return Server.Reports.Single(r => r.CommandUUID == command.CommandUUID);
    }

    public async ValueTask DisposeAsync()
    {
        Device.Dispose();
        await Server.DisposeAsync();
    }
}
