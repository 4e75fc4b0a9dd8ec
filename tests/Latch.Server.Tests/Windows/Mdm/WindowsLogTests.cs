using System.Collections.Concurrent;
using Latch.Core.Actions;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latch.Server.Tests.Windows.Mdm;

/// <summary>The server with every log line it writes, at every level, captured; devices enrol with the given auth policy.</summary>
public abstract class WindowsLoggedServer(string authPolicy) : IAsyncLifetime
{
    private readonly LogCapture _logs = new();

    public ConcurrentQueue<string> Lines => _logs.Everything;

    public WindowsTestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await WindowsTestServer.StartAsync(SqliteBackend.Instance, withPush: false,
        new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", ["Windows:AuthPolicy"] = authPolicy },
        services => services.AddSingleton<ILoggerProvider>(_logs));

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public sealed class WindowsOnPremiseLoggedServer() : WindowsLoggedServer("OnPremise");

public sealed class WindowsFederatedLoggedServer() : WindowsLoggedServer("Federated");

public sealed class WindowsOnPremiseLogTests(WindowsOnPremiseLoggedServer fixture) : WindowsLogTests(fixture), IClassFixture<WindowsOnPremiseLoggedServer>;

public sealed class WindowsFederatedLogTests(WindowsFederatedLoggedServer fixture) : WindowsLogTests(fixture), IClassFixture<WindowsFederatedLoggedServer>;

/// <summary>
/// SPEC §5: a temporary passcode never appears in a log; nor does the enrolment code that stands for the user's
/// password (OnPremise: the RequestSecurityToken's password; Federated: the sign-in page's form).
/// </summary>
public abstract class WindowsLogTests(WindowsLoggedServer fixture)
{
    private WindowsTestServer Server => fixture.Server;

    [Fact]
    public async Task EnrolmentAndPasscodeReset_LogNeitherTheEnrolmentCodeNorTheNewPin()
    {
        var code = await Server.IssueCodeAsync();
        using var device = new SimulatedWindowsDevice(Server.BaseUrl, WindowsTestServer.Ada, code,
            WindowsScenarios.Phone81 with { EnrollmentServerRoot = Server.DeviceCa });
        await device.EnrollAsync();
        Assert.Equal(fixture is WindowsFederatedLoggedServer ? "Federated" : "OnPremise", device.AuthPolicy);
        await device.SessionAsync();
        var id = await Server.DeviceIdOfAsync(device);

        await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        await device.SessionAsync();
        var reset = await Server.LatestActionAsync(id, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Done, reset.State);
        // The one place the PIN may be read: an administrator's (audited) reveal.
        Assert.Contains("\"passcode\"", await Server.Admin.GetStringAsync($"/v1.0/deviceManagement/managedDevices/{id}"), StringComparison.Ordinal);

        var pin = device.Pin!;
        var lines = fixture.Lines.ToArray();
        Assert.NotEmpty(lines);
        Assert.Contains(lines, l => l.Contains("/ManagementServer/MDM.svc", StringComparison.Ordinal)); // the sessions were logged at all
        Assert.DoesNotContain(lines, l => l.Contains(pin, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(code, StringComparison.Ordinal));
    }
}
