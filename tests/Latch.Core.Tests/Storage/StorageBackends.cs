using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Latch.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Latch.Core.Tests.Storage;

/// <summary>A fresh, migrated database for one test, and how to point a context at it.</summary>
public sealed class TestDatabase(Action<DbContextOptionsBuilder> configure, Func<Task> drop) : IAsyncDisposable
{
    public void Configure(DbContextOptionsBuilder options) => configure(options);

    public LatchDbContext NewContext()
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        configure(options);
        return new LatchDbContext(options.Options);
    }

    public async ValueTask DisposeAsync() => await drop();
}

/// <summary>
/// Where the shared behaviour suites run. Each test gets its own database copied from a template migrated
/// once per test run, so no test sees another's data and migrations are not repeated per test.
/// </summary>
public abstract class StorageBackend
{
    public abstract Task<TestDatabase> CreateDatabaseAsync();

    /// <summary>Makes the database itself refuse any command row for this device: a failure half-way through a bulk write.</summary>
    public abstract Task FailCommandInsertsForAsync(LatchDbContext db, Guid deviceId);
}

public sealed class SqliteBackend : StorageBackend
{
    public static readonly SqliteBackend Instance = new();
    private static readonly string Folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "latch-tests")).FullName;
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    public override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var path = Path.Combine(Folder, $"test-{Guid.NewGuid():N}.db");
        File.Copy(await Template.Value, path);
        var connectionString = SqliteStorage.ConnectionStringForFile(path);
        return new TestDatabase(options => options.UseLatchSqlite(connectionString), () =>
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
                File.Delete(file);
            return Task.CompletedTask;
        });
    }

    public override Task FailCommandInsertsForAsync(LatchDbContext db, Guid deviceId) =>
        db.Database.ExecuteSqlRawAsync($"""
            CREATE TRIGGER fail_for_device BEFORE INSERT ON "Commands"
            WHEN NEW."DeviceId" = '{deviceId.ToString().ToUpperInvariant()}'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
            """);

    private static async Task<string> CreateTemplateAsync()
    {
        var path = Path.Combine(Folder, $"template-{Environment.ProcessId}-{Guid.NewGuid():N}.db");
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchSqlite(SqliteStorage.ConnectionStringForFile(path));
        await using (var db = new LatchDbContext(options.Options))
        {
            await db.Database.MigrateAsync();
            // Fold the WAL into the main file so a plain file copy is a complete database.
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        SqliteConnection.ClearAllPools();
        return path;
    }
}

/// <summary>
/// PostgreSQL from LATCH_TEST_POSTGRES (a connection string to a server where the user may create databases).
/// Without it the tests skip locally; on CI (CI=true) they fail, because .ci/run must have started a server.
/// </summary>
public sealed class PostgresBackend : StorageBackend
{
    public const string Variable = "LATCH_TEST_POSTGRES";
    public static readonly PostgresBackend Instance = new();
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);
    private static readonly SemaphoreSlim Copying = new(1, 1);

    public static string? ServerConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    public override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var server = RequireServer();
        var template = await Template.Value;
        var name = $"latch_test_{Guid.NewGuid():N}";
        await Copying.WaitAsync();
        try
        {
            await ExecuteAsync(server, $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        }
        finally
        {
            Copying.Release();
        }
        var connectionString = For(server, name);
        return new TestDatabase(options => options.UseLatchPostgres(connectionString), async () =>
        {
            NpgsqlConnection.ClearPool(new NpgsqlConnection(connectionString));
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        });
    }

    public override async Task FailCommandInsertsForAsync(LatchDbContext db, Guid deviceId)
    {
        await db.Database.ExecuteSqlRawAsync($"""
            CREATE FUNCTION fail_for_device() RETURNS trigger AS $$
            BEGIN
              IF NEW."DeviceId" = '{deviceId}' THEN RAISE EXCEPTION 'injected failure'; END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            """);
        await db.Database.ExecuteSqlRawAsync(
            "CREATE TRIGGER fail_for_device BEFORE INSERT ON \"Commands\" FOR EACH ROW EXECUTE FUNCTION fail_for_device();");
    }

    private static string RequireServer()
    {
        if (ServerConnectionString is { } server) return server;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"CI=true but {Variable} is not set: .ci/run must start PostgreSQL and export its connection string.");
        Assert.Skip($"PostgreSQL tests need a server: set {Variable} (see README, 'Tests on PostgreSQL').");
        return null!;
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var server = RequireServer();
        var name = $"latch_template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
        await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchPostgres(For(server, name));
        await using (var db = new LatchDbContext(options.Options))
            await db.Database.MigrateAsync();
        // A template must have no open connections while it is copied.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(For(server, name)));
        return name;
    }

    private static string For(string server, string database) =>
        new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
