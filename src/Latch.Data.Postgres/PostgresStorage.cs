using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Latch.Data.Postgres;

/// <summary>PostgreSQL, for production and for several server processes sharing one database.</summary>
public static class PostgresStorage
{
    public static DbContextOptionsBuilder UseLatchPostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(PostgresStorage).Assembly.GetName().Name));
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
