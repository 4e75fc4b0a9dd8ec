using Latch.Core;
using Latch.Core.Data;
using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Latch.Server.Apple.Enrollment;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Latch.Bench;

/// <summary>A fresh, migrated database with Latch's Core services over it, thrown away afterwards.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly Func<Task> _drop;

    private BenchDatabase(Action<DbContextOptionsBuilder> configure, Func<Task> drop, bool pooled = false)
    {
        _drop = drop;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLatchCore().AddLatchSqlite().AddLatchPostgres();
        services.AddScoped<AppleEnrollments>(); // the Apple channel's enrolment service, for the Apple breakdown
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        if (pooled) services.AddDbContextPool<LatchDbContext>(configure);
        else services.AddDbContext<LatchDbContext>(configure);
        Services = services.BuildServiceProvider();
    }

    public ServiceProvider Services { get; }

    /// <param name="keepAt">Where to make a database that is kept afterwards; by default a temporary file, deleted.</param>
    /// <param name="pooled">DbContext pooling (AddDbContextPool) instead of a new context per scope, for experiments.</param>
    /// <param name="interceptors">Added after Latch's own, for experiments and measurements.</param>
    public static async Task<BenchDatabase> SqliteAsync(string? keepAt = null, bool pooled = false, params IInterceptor[] interceptors)
    {
        var path = keepAt ?? Path.Combine(Path.GetTempPath(), $"latch-bench-{Guid.NewGuid():N}.db");
        var connectionString = SqliteStorage.ConnectionStringForFile(path);
        var database = new BenchDatabase(options =>
        {
            options.UseLatchSqlite(connectionString);
            if (interceptors.Length > 0) options.AddInterceptors(interceptors);
        }, () =>
        {
            SqliteConnection.ClearAllPools();
            if (keepAt is null)
                foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
            return Task.CompletedTask;
        }, pooled);
        await database.MigrateAsync();
        return database;
    }

    public static async Task<BenchDatabase> PostgresAsync(string server)
    {
        var name = $"latch_bench_{Guid.NewGuid():N}";
        await ExecuteAsync(server, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        var database = new BenchDatabase(options => options.UseLatchPostgres(connectionString), async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        });
        await database.MigrateAsync();
        return database;
    }

    public async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> work) where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task<string> ServerVersionAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var sql = db.Database.IsNpgsql() ? "SELECT version() AS \"Value\"" : "SELECT 'SQLite ' || sqlite_version() AS \"Value\"";
        return await db.Database.SqlQueryRaw<string>(sql).SingleAsync();
    }

    private async Task MigrateAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Database.MigrateAsync();
    }

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await _drop();
    }
}
