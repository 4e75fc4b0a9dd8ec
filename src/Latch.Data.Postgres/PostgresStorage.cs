using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Data.Postgres;

/// <summary>PostgreSQL, for production and for several server processes sharing one database.</summary>
public static class PostgresStorage
{
    /// <summary>PostgreSQL's services for Latch.Core (its bulk writer); the context itself is configured by <see cref="UseLatchPostgres"/>.</summary>
    public static IServiceCollection AddLatchPostgres(this IServiceCollection services)
    {
        services.AddSingleton<IBulkWriter, PostgresBulkWriter>();
        services.AddSingleton<IUniqueViolations, PostgresUniqueViolations>();
        return services;
    }

    public static DbContextOptionsBuilder UseLatchPostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(PostgresStorage).Assembly.GetName().Name))
            .AddInterceptors(AfterCommitInterceptor.Instance);
}

/// <summary>Lets `dotnet ef migrations add` build the model; it does not connect.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<LatchDbContext>
{
    public LatchDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchPostgres("Host=localhost;Database=latch_design");
        return new LatchDbContext(options.Options);
    }
}
