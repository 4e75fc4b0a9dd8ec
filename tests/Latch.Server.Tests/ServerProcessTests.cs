using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Latch.Server.Tests;

/// <summary>The built server as a real process, configured only through LATCH_ environment variables, as a user starts it.</summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task BuiltServer_ReadsLatchVariables_ServesHealthOnTheGivenUrl()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "latch-process-tests", Guid.NewGuid().ToString("N"));
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Latch.Server.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.Environment["LATCH_DataDirectory"] = dataDirectory;
        start.Environment["LATCH_Demo"] = "true";
        start.Environment["LATCH_Database__Provider"] = "sqlite";

        using var server = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            HttpStatusCode? status = null;
            for (var attempt = 0; attempt < 150 && status is null && !server.HasExited; attempt++)
            {
                try { status = (await client.GetAsync("/healthz")).StatusCode; }
                catch (HttpRequestException) { await Task.Delay(200); }
            }

            Assert.True(status == HttpStatusCode.OK, $"no healthy answer; server said:\n{output}");
            Assert.True(File.Exists(Path.Combine(dataDirectory, "latch.db")));

            // The console's script and styles come from the build output's static web assets, not only under dotnet run.
            var signIn = await client.GetStringAsync("/login");
            foreach (System.Text.RegularExpressions.Match asset in System.Text.RegularExpressions.Regex.Matches(signIn, "(?:src|href)=\"(_framework/[^\"]+|_content/[^\"]+)\""))
                Assert.NotEmpty(await client.GetByteArrayAsync("/" + asset.Groups[1].Value));
            Assert.Contains("_framework/blazor.web", signIn, StringComparison.Ordinal);
            lock (output)
            {
                Assert.Contains("Demo fleet ready", output.ToString());
                Assert.Contains(dataDirectory, output.ToString());
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
