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
    public string DataDirectory { get; } = dataDirectory ?? Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "latch-server-tests", Guid.NewGuid().ToString("N"))).FullName;

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
