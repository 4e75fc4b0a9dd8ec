using Latch.Core.Data;
using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Latch.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The database chosen by <see cref="DatabaseOptions"/>, and the Data Protection key ring in the data directory.
    /// Both are read from options when first needed, so every configuration source (and a test host) applies.
    /// </summary>
    public static IServiceCollection AddLatchStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        services.AddLatchSqlite().AddLatchPostgres();
        // One server per SQLite file: it may remember what it wrote. Several may share PostgreSQL: they read.
        services.AddOptions<DatabaseWriters>().Configure<IOptions<DatabaseOptions>>((writers, database) =>
            writers.OnlyThisProcess = !database.Value.IsPostgres);
        // Pooled: a device check-in is a few short queries, and building a context per request (its services, its
        // options, the connection string) cost more than the queries themselves. The options are built once.
        services.AddDbContextPool<LatchDbContext>((provider, options) =>
        {
            var database = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            if (database.IsPostgres)
                options.UseLatchPostgres(database.ConnectionString!);
            else
                options.UseLatchSqlite(database.ConnectionString
                    ?? SqliteStorage.ConnectionStringForFile(SqliteFile(provider.GetRequiredService<IOptions<LatchOptions>>().Value)));
            options.AddInterceptors(provider.GetServices<IInterceptor>()); // Core's (EnrollmentWrites)
        });

        // Secrets at rest are encrypted with this key ring. Several servers sharing one PostgreSQL database
        // must share the key directory too (a shared volume) until keys move into the database.
        services.AddDataProtection().SetApplicationName("Latch");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<LatchOptions>, ILoggerFactory>((keys, latch, logging) =>
            keys.XmlRepository = new FileSystemXmlRepository(KeyDirectory(latch.Value), logging));
        return services;
    }

    /// <summary>The data directory as an absolute path, created when missing.</summary>
    public static DirectoryInfo DataDirectory(LatchOptions latch) => Directory.CreateDirectory(Path.GetFullPath(latch.DataDirectory));

    /// <summary>Where the data lives, for the start-up log: never the password.</summary>
    public static string Describe(DatabaseOptions database, LatchOptions latch)
    {
        if (database.IsPostgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            return $"PostgreSQL at {builder.Host}:{builder.Port}, database {builder.Database}";
        }
        return database.ConnectionString is null ? $"SQLite file {SqliteFile(latch)}" : "SQLite (connection string from configuration)";
    }

    private static string SqliteFile(LatchOptions latch) => Path.Combine(DataDirectory(latch).FullName, "latch.db");

    // The key ring is readable by the server's own user only: whoever reads it can decrypt the secrets.
    private static DirectoryInfo KeyDirectory(LatchOptions latch)
    {
        var path = Path.Combine(DataDirectory(latch).FullName, "keys");
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
