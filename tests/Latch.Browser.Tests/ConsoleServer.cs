using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Latch.Browser.Tests.ConsoleServer))]
// One server and one Chromium for the few browser tests, one test at a time: they share two cores with the other suites.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Latch.Browser.Tests;

/// <summary>
/// The built server as a real process on a free loopback port (Kestrel, static web assets, the interactive circuit),
/// a fresh data directory with the demo fleet and its simulated Apple devices checking in every second, an
/// Administrator (<c>admin</c>) and a Read Only account made through the API, and Debian's Chromium driven by
/// Playwright. Without Chromium the tests skip locally and fail on CI (<c>CI=true</c>).
/// </summary>
public sealed class ConsoleServer : IAsyncLifetime
{
    public const string AdminPassword = "browser-tests-admin-password";
    public const string ReaderName = "reader";
    public const string ReaderPassword = "browser-tests-reader-password";

    /// <summary>Devices added beside the demo fleet's 22 so a list has more than one page of 50.</summary>
    public const int ExtraDevices = 40;

    private const string Token = "browser-tests-token-0123456789abcdef";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "latch-browser-tests", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _unavailable;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where the tests' screenshots go (PNG): the test output's <c>screenshots</c> folder.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("LATCH_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            _unavailable = $"Chromium is not installed at {ChromiumPath} (apt-get install chromium, or set LATCH_CHROMIUM); the browser tests need it.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(_unavailable);
            return;
        }

        await StartServerAsync();
        await using (var db = OpenDatabase())
        {
            // A second page for the paging test; named so they sort after the demo devices the scenarios tick.
            db.Devices.AddRange(Enumerable.Range(1, ExtraDevices).Select(i => new Device
            {
                Name = $"Loaner iPad {i:00}", Platform = Platform.IOS, OsVersion = OsVersion.Parse("17.5"), Channel = ManagementChannel.DirectMdm,
                PasscodeSet = true, Model = "iPad14,1", Manufacturer = "Apple", SerialNumber = $"LOANER{i:0000}",
            }));
            await db.SaveChangesAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using (var api = new HttpClient { BaseAddress = BaseAddress })
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var created = await api.PostAsJsonAsync("/v1.0/latch/accounts",
                new { userName = ReaderName, password = ReaderPassword, role = "ReadOnly" });
            if (created.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"Creating the Read Only account answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        Assertions.SetDefaultExpectTimeout(20_000); // two cores shared with the other suites: generous, never a fixed wait
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>Skips the calling test (locally) when there is no Chromium.</summary>
    public void RequireBrowser()
    {
        if (_unavailable is not null) Assert.Skip(_unavailable);
    }

    /// <summary>A fresh browser (own cookies) at a 1280×800 viewport, its base address the server.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        RequireBrowser();
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = BaseAddress.ToString(), ViewportSize = new() { Width = width, Height = height }, Locale = "en-GB",
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the sign-in page and waits for the console's header.</summary>
    public async Task<IPage> SignedInPageAsync(string userName, string password, string returnUrl = "/")
    {
        var page = await NewPageAsync();
        await page.GotoAsync($"/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByTestId("signin-username").FillAsync(userName);
        await page.GetByTestId("signin-password").FillAsync(password);
        await page.GetByTestId("signin-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("signed-in-account")).ToContainTextAsync(userName);
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, name + ".png") });

    public LatchDbContext OpenDatabase()
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchSqlite(SqliteStorage.ConnectionStringForFile(Path.Combine(_dataDirectory, "latch.db")));
        return new LatchDbContext(options.Options);
    }

    /// <summary>What the server printed so far, for a failure message.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private async Task StartServerAsync()
    {
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Latch.Server.dll"), "--urls", BaseAddress.ToString().TrimEnd('/')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["LATCH_DataDirectory"] = _dataDirectory;
        start.Environment["LATCH_Database__Provider"] = "sqlite";
        start.Environment["LATCH_Demo"] = "true";
        start.Environment["LATCH_SimulatedCheckInInterval"] = "00:00:01";
        start.Environment["LATCH_Auth__BootstrapToken"] = Token;
        start.Environment["LATCH_Auth__BootstrapAdminPassword"] = AdminPassword;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Latch.Server.Apple.Demo"] = "Information";

        // The simulated devices enrol a moment after the server is up; an action queued before would be failed by
        // their enrolment (re-enrolment drops the queue), so the scenarios start only once they said they are in.
        var enrolled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server = Process.Start(start)!;
        void Read(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (_output) _output.AppendLine(e.Data);
            if (e.Data.Contains("simulated Apple devices enrolled", StringComparison.Ordinal)) enrolled.TrySetResult();
        }
        _server.OutputDataReceived += Read;
        _server.ErrorDataReceived += Read;
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        var exited = _server.WaitForExitAsync();
        var ready = await Task.WhenAny(enrolled.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (ready != enrolled.Task)
            throw new InvalidOperationException($"The server did not get its simulated devices enrolled; it said:\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
            _server.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
