using Latch.Core.Data;
using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Latch.Server.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The database chosen by <see cref="DatabaseOptions"/>, and the Data Protection key ring in the data directory.</summary>
    public static IServiceCollection AddLatchStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        var latch = configuration.Get<LatchOptions>() ?? new LatchOptions();
        var database = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var dataDirectory = Directory.CreateDirectory(Path.GetFullPath(latch.DataDirectory));

        services.AddDbContext<LatchDbContext>(options =>
        {
            if (database.IsPostgres)
                options.UseLatchPostgres(database.ConnectionString ?? "");
            else
                options.UseLatchSqlite(database.ConnectionString ?? SqliteStorage.ConnectionStringForFile(SqliteFile(dataDirectory)));
        });

        // Secrets at rest are encrypted with this key ring. Several servers sharing one PostgreSQL database
        // must share the key directory too (a shared volume) until keys move into the database.
        services.AddDataProtection()
            .SetApplicationName("Latch")
            .PersistKeysToFileSystem(KeyDirectory(dataDirectory));
        return services;
    }

    /// <summary>Where the data lives, for the start-up log: never the password.</summary>
    public static string Describe(DatabaseOptions database, LatchOptions latch)
    {
        if (database.IsPostgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            return $"PostgreSQL at {builder.Host}:{builder.Port}, database {builder.Database}";
        }
        return database.ConnectionString is null
            ? $"SQLite file {SqliteFile(new DirectoryInfo(Path.GetFullPath(latch.DataDirectory)))}"
            : "SQLite (connection string from configuration)";
    }

    // The key ring is readable by the server's own user only: whoever reads it can decrypt the secrets.
    private static DirectoryInfo KeyDirectory(DirectoryInfo dataDirectory)
    {
        var path = Path.Combine(dataDirectory.FullName, "keys");
        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static string SqliteFile(DirectoryInfo dataDirectory) => Path.Combine(dataDirectory.FullName, "latch.db");
}
