using System.Data.Common;
using Latch.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Data.Sqlite;

/// <summary>SQLite, the default store: one file, WAL, foreign keys on, and commits that survive a power cut.</summary>
public static class SqliteStorage
{
    /// <summary>SQLite's services for Latch.Core (its bulk writer, its writer's flush); the context itself is configured by <see cref="UseLatchSqlite"/>.</summary>
    public static IServiceCollection AddLatchSqlite(this IServiceCollection services)
    {
        services.AddSingleton<IBulkWriter, SqliteBulkWriter>();
        services.AddSingleton<IUniqueViolations, SqliteUniqueViolations>();
        services.AddSingleton<IWriterDurability, SqliteWriterDurability>();
        return services;
    }

    public static DbContextOptionsBuilder UseLatchSqlite(this DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseSqlite(WithDefaults(connectionString), sqlite => sqlite.MigrationsAssembly(typeof(SqliteStorage).Assembly.GetName().Name))
            .ReplaceService<IModelCustomizer, SqliteModelCustomizer>()
            .AddInterceptors(SqlitePragmas.Instance, AfterCommitInterceptor.Instance);

    /// <summary>A connection string for a database file, with foreign keys enforced.</summary>
    public static string ConnectionStringForFile(string path) => WithDefaults($"Data Source={path}");

    private static string WithDefaults(string connectionString) => new SqliteConnectionStringBuilder(connectionString)
    {
        ForeignKeys = true,
        Pooling = true,
        // Seconds Microsoft.Data.Sqlite keeps retrying a busy database before it gives up.
        DefaultTimeout = 30,
    }.ToString();
}

/// <summary>
/// Per-connection settings. WAL lets readers run beside the one writer; synchronous=FULL makes a commit
/// durable before it returns (an accepted command must survive a power cut); busy_timeout waits for the
/// writer instead of failing at once. Set on every open, pooled connections included: the device writer's connection
/// runs synchronous=NORMAL while it is the writer (<see cref="SqliteWriterDurability"/>), and whoever gets it from the
/// pool next commits with FULL again.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();
    private const string Pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA cache_size = -65536;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// SQLite has no date type and EF Core cannot order or compare DateTimeOffset stored as text, so every
/// DateTimeOffset is stored as UTC ticks: ordered, comparable, and exact.
/// </summary>
internal sealed class SqliteModelCustomizer(ModelCustomizerDependencies dependencies) : RelationalModelCustomizer(dependencies)
{
    private static readonly ValueConverter<DateTimeOffset, long> UtcTicks =
        new(value => value.UtcTicks, ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

    public override void Customize(ModelBuilder modelBuilder, DbContext context)
    {
        base.Customize(modelBuilder, context);
        var properties = modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties())
            .Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?));
        foreach (var property in properties)
            property.SetValueConverter(UtcTicks);
    }
}

/// <summary>Lets `dotnet ef migrations add` build the model without the server.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<LatchDbContext>
{
    public LatchDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchSqlite("Data Source=design-time.db");
        return new LatchDbContext(options.Options);
    }
}
