using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Tests.Sessions;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latch.Core.Tests.Contracts;

/// <summary>
/// A server that is its database's only writer answers "anything queued?" from memory once a read found nothing
/// (<see cref="QuietDevices"/>): a command queued afterwards must still be found, on every backend.
/// </summary>
public abstract class QuietDevicesContract(StorageBackend backend) : IAsyncLifetime
{
    private LatchTestHost _host = null!;
    private Guid _device;

    public async ValueTask InitializeAsync()
    {
        _host = await LatchTestHost.StartAsync(backend, extra: services =>
            services.Configure<DatabaseWriters>(writers => writers.OnlyThisProcess = true));
        _device = (await _host.AddDeviceAsync(TestDevices.Of(Platform.IOS))).Id;
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    // Whether the device's request gets a command: answered from memory for a device known quiet.
    private async Task<bool> HasOpenAsync(bool newSession = true) => await _host.NextAsync(_device, newSession) is not null;

    [Fact]
    public async Task EmptyQueue_IsRemembered_AndACommandQueuedLaterIsFound()
    {
        Assert.False(await HasOpenAsync());
        Assert.True(await _host.With<QuietDevices, bool>(quiet => Task.FromResult(quiet.IsQuiet(_device))));

        await _host.With<CommandQueue>(queue => queue.EnqueueAsync([queue.Create(_device, CommandTypes.RemoteLock, CommandPriority.Urgent)]));

        Assert.True(await HasOpenAsync());
        Assert.True(await HasOpenAsync(newSession: false));
    }

    [Fact]
    public async Task CommandQueuedInsideALargerTransaction_IsFoundOnceThatTransactionCommits()
    {
        Assert.False(await HasOpenAsync());

        await using var scope = _host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var queue = scope.ServiceProvider.GetRequiredService<CommandQueue>();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await queue.EnqueueAsync([queue.Create(_device, CommandTypes.RemoteLock, CommandPriority.Urgent)]);
            // Not committed: other requests must not see it yet, and the device stays remembered as quiet.
            Assert.True(_host.Services.GetRequiredService<QuietDevices>().IsQuiet(_device));
            await transaction.CommitAsync();
        }

        Assert.False(_host.Services.GetRequiredService<QuietDevices>().IsQuiet(_device));
        Assert.True(await HasOpenAsync());
    }

    [Fact]
    public async Task RolledBackQueueing_LeavesNothingQueued()
    {
        Assert.False(await HasOpenAsync());
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            var queue = scope.ServiceProvider.GetRequiredService<CommandQueue>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await queue.EnqueueAsync([queue.Create(_device, CommandTypes.RemoteLock, CommandPriority.Urgent)]);
            await transaction.RollbackAsync();
        }

        Assert.False(await HasOpenAsync());
        await using var check = _host.Db();
        Assert.Equal(0, await check.Commands.CountAsync(c => c.DeviceId == _device));
    }

    [Fact]
    public async Task NotNowCommand_KeepsTheDeviceBusyForTheNextSession()
    {
        var command = await _host.With<CommandQueue, Command>(async queue =>
        {
            var created = queue.Create(_device, CommandTypes.RemoteLock, CommandPriority.Urgent);
            await queue.EnqueueAsync([created]);
            return created;
        });
        await _host.NextAsync(_device, newSession: true);
        await _host.ReportAsync(_device, command.Id, CommandReport.NotNow);

        Assert.False(await HasOpenAsync(newSession: false)); // within the session: put off
        Assert.True(await HasOpenAsync(newSession: true)); // and offered again in the next one
    }

    [Fact]
    public void ReadThatRacedWithAQueueing_IsNotRemembered()
    {
        var quiet = new QuietDevices(Options.Create(new DatabaseWriters { OnlyThisProcess = true }));
        var device = Guid.NewGuid();

        var before = quiet.Version; // a read starts, finds nothing...
        quiet.Forget([device]); // ...while a command for the device commits
        quiet.Remember(device, before);

        Assert.False(quiet.IsQuiet(device));
        quiet.Remember(device, quiet.Version);
        Assert.True(quiet.IsQuiet(device));
    }

    [Fact]
    public void WithoutBeingTheOnlyWriter_NothingIsRemembered()
    {
        var quiet = new QuietDevices(Options.Create(new DatabaseWriters { OnlyThisProcess = false }));
        var device = Guid.NewGuid();
        quiet.Remember(device, quiet.Version);
        Assert.False(quiet.IsQuiet(device));
    }
}

public sealed class QuietDevicesOnSqlite() : QuietDevicesContract(SqliteBackend.Instance);

public sealed class QuietDevicesOnPostgres() : QuietDevicesContract(PostgresBackend.Instance);
