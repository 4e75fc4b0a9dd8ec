using System.Net;

namespace Latch.Server.Tests;

/// <summary>What the server does for safety without being asked: private database files, and headers on every answer to a person's client.</summary>
public sealed class HardeningTests : IAsyncLifetime
{
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken, ["Demo"] = "true" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes
    public async Task TheSqliteDatabaseAndItsWal_AreReadableByTheServersUserOnly()
    {
        Assert.Equal(HttpStatusCode.OK, (await _app.ClientWith(LatchAppFactory.AdminToken).GetAsync("/v1.0/users")).StatusCode);

        var database = Path.Combine(_app.DataDirectory, "latch.db");
        // The WAL and shared-memory files exist while a connection is open (the last one to close may remove them):
        // hold one open, with a write, so SQLite has made them as it makes them for the server.
        await using var open = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=false");
        await open.OpenAsync();
        await using (var write = open.CreateCommand())
        {
            write.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS wal_probe (x); DROP TABLE wal_probe;";
            await write.ExecuteNonQueryAsync();
        }
        foreach (var file in new[] { database, database + "-wal", database + "-shm" })
        {
            Assert.True(File.Exists(file), $"{file} is missing");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }

    [Theory]
    [InlineData("/v1.0/users")] // the API
    [InlineData("/v1.0/no-such-route")] // an unknown route
    [InlineData("/login")] // the console
    public async Task EveryAnswer_ForbidsSniffingAndSendsNoReferrer(string path)
    {
        var response = await _app.ClientWith(LatchAppFactory.AdminToken).GetAsync(path);

        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }
}
