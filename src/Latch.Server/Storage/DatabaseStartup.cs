using Latch.Core.Data;
using Latch.Core.Demo;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Server.Storage;

/// <summary>Brings the database up to date before the server accepts requests, and seeds the demo fleet when asked.</summary>
public static class DatabaseStartup
{
    public static async Task PrepareDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var latch = scope.ServiceProvider.GetRequiredService<IOptions<LatchOptions>>().Value;
        var database = scope.ServiceProvider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Latch.Storage");

        logger.LogInformation("Database: {Database}", StorageServiceCollectionExtensions.Describe(database, latch));
        var isNew = !(await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancellationToken);
        }
        if (!database.IsPostgres) KeepSqliteFilesPrivate(db.Database.GetConnectionString()!);

        if (latch.Demo ?? isNew)
        {
            await DemoFleet.SeedAsync(db, app.Services.GetRequiredService<TimeProvider>(), cancellationToken);
            logger.LogInformation("Demo fleet ready: {Devices} devices, {Users} users", await db.Devices.CountAsync(cancellationToken),
                await db.Users.CountAsync(cancellationToken));
        }
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // The database holds encrypted secrets and everything else in the clear: readable by the server's user only, like
    // the key ring. Done right after the migrations, before the first secret (the CA, the first credentials) is
    // written; SQLite gives the WAL and shared-memory files it makes later the database file's permissions. (Making
    // the file first, with these permissions, is not an option: EF Core then opens it read-only to see whether it exists.)
    private static void KeepSqliteFilesPrivate(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (OperatingSystem.IsWindows() || builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:") return;
        var path = Path.GetFullPath(builder.DataSource);
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
            if (File.Exists(file) && File.GetUnixFileMode(file) != OwnerOnly) File.SetUnixFileMode(file, OwnerOnly);
    }
}
