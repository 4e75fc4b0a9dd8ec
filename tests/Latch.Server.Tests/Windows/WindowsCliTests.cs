using Latch.Core.Enrollment;
using Latch.Core.Tests.Storage;
using Latch.Devices.Cli;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows;

/// <summary>`latch-devices windows` against a real server: codes from the admin API, MS-MDE2 enrolment, sessions, unenrolment on exit.</summary>
public sealed class WindowsCliTests : IAsyncLifetime
{
    private WindowsTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await WindowsTestServer.StartAsync(SqliteBackend.Instance);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Windows_EnrolsEachDevice_RunsSessions_AndUnenrolsOnExit()
    {
        var caFile = Path.Combine(Path.GetTempPath(), $"latch-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caFile, _server.DeviceCa.ExportCertificatePem(), TestContext.Current.CancellationToken);
        try
        {
            using var http = _server.ClientFor(null);
            var output = new StringWriter();
            var error = new StringWriter();
            var exit = await DevicesCommandLine.InvokeAsync(
                ["windows", "--server", _server.BaseUrl.AbsoluteUri, "--token", LatchAppFactory.AdminToken, "--user", WindowsTestServer.Grace,
                    "--mobile", "1", "--phone81", "1", "--server-ca", caFile, "--poll", "1ms", "--rounds", "2", "--unenrol-on-exit"],
                http, output, error, TestContext.Current.CancellationToken);

            Assert.True(exit == 0, error.ToString());
            var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Count(l => l.StartsWith("Enrolled Simulated ", StringComparison.Ordinal)));
            // The first session answers the device-information query the enrolment queued.
            Assert.Equal(2, lines.Count(l => l.Contains(": Get ./DevDetail/SwV -> 200", StringComparison.Ordinal)));
            Assert.Equal(2, lines.Count(l => l.StartsWith("Unenrolled ", StringComparison.Ordinal)));
            var enrolments = await _server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().ToListAsync());
            Assert.Equal(2, enrolments.Count);
            Assert.All(enrolments, e => Assert.Equal(WindowsEnrollmentState.Unenrolled, e.State));
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Fact]
    public async Task Windows_WithARefusedCode_ExitsWithEnrolmentRefused()
    {
        using var http = _server.ClientFor(null);
        var error = new StringWriter();
        var exit = await DevicesCommandLine.InvokeAsync(
            ["windows", "--server", _server.BaseUrl.AbsoluteUri, "--user", WindowsTestServer.Grace, "--code", "AAAA-BBBB-CCCC-DDDD", "--rounds", "1"],
            http, new StringWriter(), error, TestContext.Current.CancellationToken);

        Assert.Equal(AppleFleet.ExitEnrolmentRefused, exit);
        Assert.Contains("s:Authentication", error.ToString());
    }
}
