using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Storage;

/// <summary>The SQLite settings that durability and integrity rest on, read back from a live connection.</summary>
public sealed class SqliteSettingsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await SqliteBackend.Instance.CreateDatabaseAsync();

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Theory]
    [InlineData("journal_mode", "wal")]
    [InlineData("synchronous", "2")] // FULL: a commit is on disk before it returns
    [InlineData("foreign_keys", "1")]
    [InlineData("busy_timeout", "30000")]
    public async Task Connection_HasThePragma(string pragma, string expected)
    {
        await using var db = _database.NewContext();
        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        Assert.Equal(expected, Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task DateTimeOffsets_AreStoredAsUtcTicks_SoTheyOrderInSql()
    {
        await using var db = _database.NewContext();
        var column = await db.Database.SqlQueryRaw<string>(
            "SELECT type AS \"Value\" FROM pragma_table_info('Commands') WHERE name = 'EnqueuedAt'").SingleAsync();
        Assert.Equal("INTEGER", column);
    }
}
