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
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private TestDatabase? _database;
    private LatchAppFactory _app = null!;

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

    private async Task<Guid> AddDeviceAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var device = new Device { Name = name, Platform = Platform.IOS, OsVersion = OsVersion.Parse("17.0"), Channel = ManagementChannel.DirectMdm };
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device.Id;
    }

    private async Task<DateTimeOffset?> LastCheckInAsync(Guid device)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices
            .Where(d => d.Id == device).Select(d => d.LastCheckInAt).SingleAsync();
    }
}

public sealed class CheckInRecorderOnSqlite() : CheckInRecorderContract(SqliteBackend.Instance);

public sealed class CheckInRecorderOnPostgres() : CheckInRecorderContract(PostgresBackend.Instance);
