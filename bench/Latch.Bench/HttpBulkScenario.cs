using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Latch.Bench;

/// <summary>
/// The admin API end to end: the built server as its own process on loopback, a database of N devices, and one
/// <c>POST managedDevices/executeAction</c> for all of them (by group, and by a list of N ids), timed at the client.
/// </summary>
internal static class HttpBulkScenario
{
    private const string Token = "bench-admin-token-0123456789abcdef";
    private const string AllDevices = "00000000-0000-0000-0000-00000000a001";

    public static async Task<List<(string Scenario, TimeSpan Time)>> RunAsync(string serverDll, int devices, int runs)
    {
        var results = new List<(string, TimeSpan)>();
        for (var run = 0; run < runs; run++)
        {
            foreach (var byGroup in new[] { true, false })
            {
                var dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"latch-bench-http-{Guid.NewGuid():N}")).FullName;
                List<Guid> ids;
                await using (var database = await BenchDatabase.SqliteAsync(Path.Combine(dataDirectory, "latch.db")))
                    ids = await Fleet.SeedAsync(database, devices);
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

                var port = FreePort();
                using var server = Start(serverDll, dataDirectory, port);
                try
                {
                    using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                    await WaitHealthyAsync(client, server);

                    var body = byGroup
                        ? JsonSerializer.Serialize(new { actionName = "remoteLock", groupId = AllDevices })
                        : JsonSerializer.Serialize(new { actionName = "remoteLock", deviceIds = ids });
                    var watch = Stopwatch.StartNew();
                    using var response = await client.PostAsync("/v1.0/deviceManagement/managedDevices/executeAction",
                        new StringContent(body, Encoding.UTF8, "application/json"));
                    var json = await response.Content.ReadAsStringAsync();
                    var elapsed = watch.Elapsed;
                    if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"executeAction answered {response.StatusCode}: {json}");
                    var answered = JsonDocument.Parse(json).RootElement;
                    var total = answered.GetProperty("successfulDeviceIds").GetArrayLength() + answered.GetProperty("notSupportedDeviceIds").GetArrayLength();
                    if (total != devices) throw new InvalidOperationException($"Expected {devices} outcomes, got {total}.");
                    results.Add((byGroup ? "HTTP executeAction, groupId (All Devices)" : $"HTTP executeAction, {devices:N0} deviceIds in the body", elapsed));
                }
                finally
                {
                    server.Kill(entireProcessTree: true);
                    await server.WaitForExitAsync();
                    Directory.Delete(dataDirectory, recursive: true);
                }
            }
        }
        return results;
    }

    /// <param name="environment">Settings added to (or replacing) the defaults below.</param>
    internal static Process Start(string serverDll, string dataDirectory, int port, IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? output = null)
    {
        var start = new ProcessStartInfo("dotnet", [serverDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
        };
        start.Environment["LATCH_DataDirectory"] = dataDirectory;
        start.Environment["LATCH_Demo"] = "false";
        start.Environment["LATCH_Auth__BootstrapToken"] = Token;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) output?.Invoke(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) output?.Invoke(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitHealthyAsync(HttpClient client, Process server)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (server.HasExited) throw new InvalidOperationException("The server exited during start-up.");
            try
            {
                if ((await client.GetAsync("/healthz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The server did not become healthy in 30 s.");
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:F2} s");
}
