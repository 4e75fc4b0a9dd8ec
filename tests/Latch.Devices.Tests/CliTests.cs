using Latch.Devices.Cli;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class CliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Apple_EnrolsEachDevice_AnswersCommands_AndPrintsOneLinePerCommand()
    {
        await using var server = await FakeMdmServer.StartAsync();
        server.CommandsOnEnrol = authenticate => authenticate.ProductName!.StartsWith("Mac", StringComparison.Ordinal)
            ? [new DeviceLock(Enrolled.NewUuid())]
            : [new DeviceLock(Enrolled.NewUuid()) { Message = "Lost" }, new SecurityInfo(Enrolled.NewUuid())];
        var folder = Path.Combine(Path.GetTempPath(), "latch-devices-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, output, error) = await RunAsync(server,
                "apple", "--server", FakeMdmServer.Url.AbsoluteUri, "--token", FakeMdmServer.GoodToken, "--user", "ada.lovelace@demo.latch.example",
                "--iphones", "2", "--macs", "1", "--no-passcode", "--commands-dir", folder, "--poll", "1ms", "--rounds", "2",
                "--check-out-on-exit");

            Assert.True(exit == 0, error);
            Assert.Equal(3, server.Checkins.OfType<Authenticate>().Select(a => a.UDID).Distinct().Count());
            Assert.Equal(3, server.Checkins.OfType<TokenUpdate>().Count());
            Assert.Equal(3, server.Checkins.OfType<CheckOut>().Count());
            Assert.Equal(6, server.Reports.Count(r => r.Status == CommandResponseStatus.Idle));
            var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(lines, l => l.StartsWith("Simulated iPhone 1 (ada.lovelace): DeviceLock -> Error (", StringComparison.Ordinal) && l.Contains("NoPasscodeSet", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Simulated iPhone 2 (ada.lovelace): SecurityInfo -> Acknowledged", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Simulated Mac 1 (ada.lovelace): DeviceLock -> CommandFormatError", StringComparison.Ordinal));
            Assert.Equal(5, lines.Count(l => l.Contains(" -> ", StringComparison.Ordinal)));
            Assert.Equal(3, lines.Count(l => l.StartsWith("Checked out ", StringComparison.Ordinal)));
            Assert.Equal(2, Directory.GetFiles(Path.Combine(folder, "iphone-1")).Length);
            Assert.Single(Directory.GetFiles(Path.Combine(folder, "mac-1")));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("wrong-token", 3, "401")]
    [InlineData(FakeMdmServer.ReadOnlyToken, 4, "Read Only accounts cannot enrol devices.")]
    public async Task Apple_RefusedToken_ExitsWithItsCodeAndSaysWhy(string token, int code, string says)
    {
        await using var server = await FakeMdmServer.StartAsync();

        var (exit, _, error) = await RunAsync(server, "apple", "--server", FakeMdmServer.Url.AbsoluteUri, "--token", token, "--user", "ada@x", "--rounds", "1");

        Assert.Equal(code, exit);
        Assert.Contains(says, error, StringComparison.Ordinal);
        Assert.Empty(server.Checkins);
    }

    [Fact]
    public async Task Apple_BadProfile_ExitsWith5()
    {
        await using var server = await FakeMdmServer.StartAsync();
        var profile = server.Profile();
        profile[profile.AsSpan().IndexOf("com.apple.mdm"u8)] ^= 1;
        server.ProfileOverride = profile;

        var (exit, _, error) = await RunAsync(server, "apple", "--server", FakeMdmServer.Url.AbsoluteUri, "--token", FakeMdmServer.GoodToken, "--user", "ada@x", "--rounds", "1");

        Assert.Equal(5, exit);
        Assert.Contains("profile is not acceptable", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apple_EnrolmentRefused_ExitsWith6()
    {
        await using var server = await FakeMdmServer.StartAsync();
        server.Refuse = (path, _) => path == "/mdm/checkin" ? 400 : null;

        var (exit, _, error) = await RunAsync(server, "apple", "--server", FakeMdmServer.Url.AbsoluteUri, "--token", FakeMdmServer.GoodToken, "--user", "ada@x", "--rounds", "1");

        Assert.Equal(6, exit);
        Assert.Contains("could not enrol", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apple_UnreachableServer_ExitsWith2()
    {
        using var http = new HttpClient(new UnreachableHandler());
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await DevicesCommandLine.InvokeAsync(
            ["apple", "--server", "http://latch.invalid:5080", "--token", "t", "--user", "ada@x"], http, output, error, Ct);

        Assert.Equal(2, exit);
        Assert.Contains("Cannot reach the server at http://latch.invalid:5080/", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--iphones", "-1")]
    [InlineData("--poll", "soon")]
    [InlineData("--server", "latch.example")]
    public async Task Apple_BadArgument_IsAUsageError(string option, string value)
    {
        await using var server = await FakeMdmServer.StartAsync();
        string[] args = ["apple", "--token", "t", "--user", "ada@x", .. option == "--server" ? [] : new[] { "--server", "http://localhost/" }, option, value];

        var (exit, _, error) = await RunAsync(server, args);

        Assert.Equal(1, exit);
        Assert.NotEmpty(error);
        Assert.Empty(server.Checkins);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("00:00:45", 45_000)]
    public void Interval_Parses(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DevicesCommandLine.TryParseInterval(text));

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-5s")]
    [InlineData("soon")]
    [InlineData("2d")]
    public void Interval_RefusesNonsense(string text) => Assert.Null(DevicesCommandLine.TryParseInterval(text));

    private static async Task<(int Exit, string Output, string Error)> RunAsync(FakeMdmServer server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await DevicesCommandLine.InvokeAsync(args, server.Client, output, error, Ct);
        return (exit, output.ToString(), error.ToString());
    }

    private sealed class UnreachableHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (latch.invalid:5080)");
    }
}
