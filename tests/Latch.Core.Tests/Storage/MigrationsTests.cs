using Latch.Core.Data;
using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Storage;

/// <summary>Each provider's migrations must describe the model exactly: a model change without a migration fails here.</summary>
public sealed class MigrationsTests
{
    [Fact]
    public void Sqlite_ModelHasNoChangesWithoutAMigration()
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchSqlite("Data Source=:memory:");
        using var db = new LatchDbContext(options.Options);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), "Run: dotnet ef migrations add <Name> --project src/Latch.Data.Sqlite");
    }

    [Fact]
    public void Postgres_ModelHasNoChangesWithoutAMigration()
    {
        var options = new DbContextOptionsBuilder<LatchDbContext>();
        options.UseLatchPostgres("Host=localhost;Database=unused");
        using var db = new LatchDbContext(options.Options);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(), "Run: dotnet ef migrations add <Name> --project src/Latch.Data.Postgres");
    }

    [Fact]
    public void BothProviders_HaveTheSameMigrations()
    {
        static IEnumerable<string> Names(Action<DbContextOptionsBuilder> use)
        {
            var options = new DbContextOptionsBuilder<LatchDbContext>();
            use(options);
            using var db = new LatchDbContext(options.Options);
            return db.Database.GetMigrations().Select(m => m[(m.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        }
        Assert.Equal(
            Names(o => o.UseLatchSqlite("Data Source=:memory:")),
            Names(o => o.UseLatchPostgres("Host=localhost;Database=unused")));
    }
}
