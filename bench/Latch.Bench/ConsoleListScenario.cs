using System.Diagnostics;
using System.Globalization;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Users;
using Latch.Server.Console;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Bench;

/// <summary>
/// The console's device list over a large fleet: the console's own <see cref="DeviceListing.PageAsync"/> — the one
/// call the list component awaits before it renders its rows (count of the matching devices, one page of 100 rows
/// with owners, their latest actions) — timed in process on a fresh SQLite database, against a small baseline.
/// </summary>
internal static class ConsoleListScenario
{
    public static async Task RunAsync(int devices, int baseline, int runs)
    {
        Console.WriteLine($"Latch console device list benchmark (SQLite, 100 rows a page), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, " +
                          $"{Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| list | devices | matching | rows | runs | median | min | max |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in new[] { baseline, devices })
        {
            await using var database = await BenchDatabase.SqliteAsync();
            await SeedAsync(database, size);
            var listing = new DeviceListing(database.Services.GetRequiredService<IServiceScopeFactory>());
            var all = ListingScope.Group(BuiltInGroups.AllDevices.Id);
            var lastPage = (int)Math.Min(499, (size - 1) / 100);
            (string Name, DeviceListQuery Query)[] scenarios =
            [
                ("All Devices, first page, by name", new(all, null, DeviceSort.Name, false, 0, 100)),
                ("sorted by user", new(all, null, DeviceSort.User, false, 0, 100)),
                ("sorted by last check-in, newest first", new(all, null, DeviceSort.LastCheckIn, true, 0, 100)),
                ("search \"user 42\" (device, user or serial)", new(all, "user 42", DeviceSort.Name, false, 0, 100)),
                ($"page {lastPage + 1} (deep offset), by name", new(all, null, DeviceSort.Name, false, lastPage, 100)),
            ];
            foreach (var (name, query) in scenarios)
            {
                DeviceListPage? page = null;
                for (var warm = 0; warm < 2; warm++) page = await listing.PageAsync(query);
                var times = new List<TimeSpan>();
                for (var run = 0; run < runs; run++)
                {
                    var watch = Stopwatch.StartNew();
                    page = await listing.PageAsync(query);
                    times.Add(watch.Elapsed);
                }
                times.Sort();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {size:N0} | {page!.TotalMatching:N0} | {page.Rows.Count} | {runs} | {Ms(times[runs / 2])} | {Ms(times[0])} | {Ms(times[^1])} |"));
            }
        }
    }

    private static string Ms(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:F1} ms");

    /// <summary>Devices of the bench's platform mix, each owned by one of size/20 users, checked in over the last 30 days, a lock on every tenth.</summary>
    private static async Task SeedAsync(BenchDatabase database, int count)
    {
        var users = Enumerable.Range(0, Math.Max(1, count / 20)).Select(i => new User
        {
            UserPrincipalName = $"user{i}@bench.latch.example", DisplayName = $"Bench user {i}", Email = $"user{i}@bench.latch.example",
        }).ToList();
        var now = DateTimeOffset.UtcNow;
        await using var scope = database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var bulk = scope.ServiceProvider.GetRequiredService<BulkInsert>();
        await bulk.InsertAsync(db, users, CancellationToken.None);
        var fleet = Fleet.Devices(count);
        for (var i = 0; i < fleet.Count; i++)
        {
            fleet[i].OwnerId = users[i % users.Count].Id;
            fleet[i].SerialNumber = $"SN{i:D8}";
            fleet[i].LastCheckInAt = now.AddSeconds(-(i * 7919L % (30 * 86400)));
        }
        await bulk.InsertAsync(db, fleet, CancellationToken.None);
        await transaction.CommitAsync();

        // Every tenth device has a lock, so the page's latest-action lookup finds some.
        await database.WithAsync<Latch.Core.Actions.DeviceActions, Latch.Core.Actions.BulkActionOutcome>(actions =>
            actions.RequestAsync(new Latch.Core.Actions.ActionRequestInput(Latch.Core.Rules.RemoteAction.RemoteLock,
                fleet.Where((_, i) => i % 10 == 0).Select(d => d.Id).ToList(), "bench@latch")));
    }
}
