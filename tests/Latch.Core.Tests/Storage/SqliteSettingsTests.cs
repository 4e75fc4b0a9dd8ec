using Latch.Core.Data;
using Latch.Data.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task TheWritersConnection_CommitsWithoutWaitingForTheDisk_AndItsFlushSyncsTheWal_OthersKeepFull()
    {
        var durability = SqliteDurability();
        await using var writer = _database.NewContext();
        await writer.Database.OpenConnectionAsync();

        var flush = durability.PrepareWriter(writer.Database.GetDbConnection());

        Assert.NotNull(flush);
        Assert.Equal("1", await PragmaAsync(writer, "synchronous")); // NORMAL: the batcher flushes before it answers
        Assert.Equal("8192", await PragmaAsync(writer, "wal_autocheckpoint"));
        await writer.Database.ExecuteSqlRawAsync("""UPDATE "Users" SET "DisplayName" = "DisplayName" WHERE 0""");
        flush.Flush(); // the -wal file is there and syncs
        await using var other = _database.NewContext();
        await other.Database.OpenConnectionAsync();
        Assert.Equal("2", await PragmaAsync(other, "synchronous"));
    }

    [Fact]
    public async Task TheWritersConnection_BackInThePool_CommitsDurablyAgainForItsNextUser()
    {
        var durability = SqliteDurability();
        await using (var writer = _database.NewContext())
        {
            await writer.Database.OpenConnectionAsync();
            Assert.NotNull(durability.PrepareWriter(writer.Database.GetDbConnection()));
        } // the writer is dropped (as after a failed batch): its connection goes back to the pool, NORMAL still set on it

        await using var next = _database.NewContext();
        await next.Database.OpenConnectionAsync();

        Assert.Equal("2", await PragmaAsync(next, "synchronous"));
    }

    [Fact]
    public async Task AnInMemoryDatabase_HasNoWriterFlush_ItsCommitsStayAsTheyAre()
    {
        var durability = SqliteDurability();
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();

        Assert.Null(durability.PrepareWriter(connection));
    }

    // What AddLatchSqlite registers for the writer, as WriteBatcher finds it.
    private static IWriterDurability SqliteDurability()
    {
        using var services = new ServiceCollection().AddLatchSqlite().BuildServiceProvider();
        return services.GetServices<IWriterDurability>().Single(d => d.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite");
    }

    private static async Task<string?> PragmaAsync(LatchDbContext db, string pragma)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
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
