using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests;

/// <summary>The real server in memory, with a data directory of its own and any settings a test gives.</summary>
/// <param name="dataDirectory">An existing data directory to start on (kept afterwards); default a new one (deleted afterwards).</param>
public sealed class LatchAppFactory(
    IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string? dataDirectory = null)
    : WebApplicationFactory<Program>
{
    /// <summary>The bootstrap Administrator token the API tests configure (Auth:BootstrapToken).</summary>
    public const string AdminToken = "test-admin-token-0123456789abcdef";

    public string DataDirectory { get; } = dataDirectory ?? Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "latch-server-tests", Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>A client that presents <paramref name="token"/> as a bearer token, or nothing when it is null.</summary>
    public HttpClient ClientWith(string? token)
    {
        var client = CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("DataDirectory", DataDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (dataDirectory is null)
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
