using Latch.Core.Data;
using Latch.Core.Demo;
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

        if (latch.Demo ?? isNew)
        {
            await DemoFleet.SeedAsync(db, app.Services.GetRequiredService<TimeProvider>(), cancellationToken);
            logger.LogInformation("Demo fleet ready: {Devices} devices, {Users} users", await db.Devices.CountAsync(cancellationToken),
                await db.Users.CountAsync(cancellationToken));
        }
    }
}
