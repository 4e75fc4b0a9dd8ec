using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Tests.Storage;
using Latch.Server.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests;

/// <summary>Last check-in times, written in batches by one prepared statement, on each database.</summary>
public abstract class CheckInRecorderContract(StorageBackend backend) : IAsyncLifetime
{
    protected static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private TestDatabase? _database;
    protected TestDatabase? Database => _database;
    private LatchAppFactory _app = null!;
    protected LatchAppFactory App => _app;

    public async ValueTask InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["Demo"] = "false" };
        if (backend is PostgresBackend)
        {
            _database = await backend.CreateDatabaseAsync();
            await using var context = _database.NewContext();
            settings["Database:Provider"] = "postgres";
            settings["Database:ConnectionString"] = context.Database.GetConnectionString();
        }
        // Only the test flushes: without the server's periodic flush, which the fake clock's Advance would set off
        // beside the test's own (it took the first device's check-in and was still writing it when the test read).
        _app = new LatchAppFactory(settings, services =>
        {
            services.AddSingleton<TimeProvider>(_clock);
            foreach (var flush in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(CheckInFlush)).ToList())
                services.Remove(flush);
        });
        _app.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    [Fact]
    public async Task Flush_WritesEachDevicesLatestCheckIn_InChunks_AndSkipsUnknownDevices()
    {
        var first = await AddDeviceAsync("First");
        var second = await AddDeviceAsync("Second");
        var recorder = _app.Services.GetRequiredService<CheckInRecorder>();

        recorder.Record(first);
        _clock.Advance(TimeSpan.FromMinutes(1));
        recorder.Record(second);
        // More than one transaction's worth, most of them devices that do not exist (deleted meanwhile, say).
        for (var i = 0; i < 1_200; i++) recorder.Record(Guid.NewGuid());
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(Start, await LastCheckInAsync(first));
        Assert.Equal(Start.AddMinutes(1), await LastCheckInAsync(second));
    }

    [Fact]
    public async Task Flush_NeverMovesALastCheckInBack()
    {
        var device = await AddDeviceAsync("Phone");
        var recorder = _app.Services.GetRequiredService<CheckInRecorder>();
        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices.Where(d => d.Id == device)
                .ExecuteUpdateAsync(set => set.SetProperty(d => d.LastCheckInAt, Start.AddHours(1)));

        recorder.Record(device); // at Start: older than what is stored
        await recorder.FlushAsync(CancellationToken.None);
        Assert.Equal(Start.AddHours(1), await LastCheckInAsync(device));

        _clock.Advance(TimeSpan.FromHours(2));
        recorder.Record(device);
        await recorder.FlushAsync(CancellationToken.None);
        Assert.Equal(Start.AddHours(2), await LastCheckInAsync(device));
    }

    protected async Task<Guid> AddDeviceAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var device = new Device { Name = name, Platform = Platform.IOS, OsVersion = OsVersion.Parse("17.0"), Channel = ManagementChannel.DirectMdm };
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device.Id;
    }

    protected async Task<DateTimeOffset?> LastCheckInAsync(Guid device)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices
            .Where(d => d.Id == device).Select(d => d.LastCheckInAt).SingleAsync();
    }
}

public sealed class CheckInRecorderOnSqlite() : CheckInRecorderContract(SqliteBackend.Instance);

public sealed class CheckInRecorderOnPostgres() : CheckInRecorderContract(PostgresBackend.Instance)
{
    /// <summary>
    /// The race seen under load (issue 21): a device's write holds one row and wants another that the flush holds.
    /// PostgreSQL aborts the side that waited first — here the flush — and its check-in times must still be written.
    /// </summary>
    [Fact]
    public async Task Flush_ThatLosesADeadlockToADevicesWrite_StillWritesEveryCheckIn()
    {
        var devices = new[] { await AddDeviceAsync("First"), await AddDeviceAsync("Second") }.Order().ToArray();
        var recorder = App.Services.GetRequiredService<CheckInRecorder>();
        foreach (var device in devices) recorder.Record(device);

        await using var deviceWrite = Database!.NewContext();
        await using var transaction = await deviceWrite.Database.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await RenameAsync(deviceWrite, devices[1]); // holds the row the flush takes second
        var flush = recorder.FlushAsync(CancellationToken.None); // takes the first row, then waits for the second
        await WaitForABlockedBackendAsync();
        try
        {
            await RenameAsync(deviceWrite, devices[0]); // now each side waits for the other
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception exception) when (exception.InnerException is Npgsql.PostgresException { SqlState: "40P01" } or Npgsql.PostgresException { SqlState: "40P01" })
        {
            // PostgreSQL chose the device's write this time: the flush went through on its first attempt.
        }
        await flush;
        await recorder.FlushAsync(CancellationToken.None); // whatever a lost attempt kept back

        foreach (var device in devices) Assert.Equal(Start, await LastCheckInAsync(device));
    }

    private static Task<int> RenameAsync(LatchDbContext db, Guid device) =>
        db.Devices.Where(d => d.Id == device).ExecuteUpdateAsync(set => set.SetProperty(d => d.Name, $"Renamed {device}"), TestContext.Current.CancellationToken);

    private async Task WaitForABlockedBackendAsync()
    {
        await using var observer = Database!.NewContext();
        // pg_stat_activity is the only signal of a backend waiting for a row lock; it is read until it shows one.
        while (await observer.Database.SqlQueryRaw<int>(
                   "SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
               .SingleAsync(TestContext.Current.CancellationToken) == 0)
            await Task.Delay(20, TestContext.Current.CancellationToken);
    }
}
