using System.Net;
using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Channels;

/// <summary>Where a passcode reset's new passcode comes from on a channel's platform (SPEC §3).</summary>
public enum PasscodeSource
{
    /// <summary>None is made: the passcode is cleared (Apple ClearPasscode).</summary>
    None,

    /// <summary>Latch makes a temporary passcode and sends it (Android device administrators).</summary>
    MadeByLatch,

    /// <summary>The device makes it and returns it once with its report (Windows NewPINValue).</summary>
    FromDevice,
}

/// <summary>One device channel with a running server, as the channel contract drives it. One per test class: devices are the tests' own.</summary>
public interface IChannelHarness
{
    HttpClient Admin { get; }

    IServiceProvider Services { get; }

    PasscodeSource ResetPasscode { get; }

    /// <summary>A device enrolled through the channel, with a passcode set, that checks in only when the test says so.</summary>
    Task<IChannelDevice> EnrolledDeviceAsync();

    /// <summary>How many wake-ups the channel's fake push service has received for the device so far.</summary>
    int WakeUpsOf(IChannelDevice device);
}

/// <summary>A simulated device of the channel, speaking its real protocol to the server.</summary>
public interface IChannelDevice
{
    Guid DeviceId { get; }

    /// <summary>The passcode the device itself holds now, where the device made one (<see cref="PasscodeSource.FromDevice"/>).</summary>
    string? PasscodeOnDevice { get; }

    /// <summary>One session: the device runs every command offered and answers each, except the ones it is told to put off.</summary>
    /// <returns>The ids of the commands it received, in order.</returns>
    Task<IReadOnlyList<Guid>> RunSessionAsync(bool putOffTheFirst = false);

    /// <summary>The device reports success on a command id of its choice (a replay, or another device's id).</summary>
    Task<HttpStatusCode> AcknowledgeAsync(Guid commandId);

    /// <summary>The same device installs a new enrolment of the same user.</summary>
    Task ReenrolAsync();

    /// <summary>The device leaves management (Apple CheckOut).</summary>
    Task UnenrolAsync();
}

/// <summary>
/// The behaviour every device channel has, whatever its protocol: each channel's simulated device passes it, on SQLite
/// and on PostgreSQL. A channel adds only its harness (<see cref="IChannelHarness"/>).
/// </summary>
public abstract class DeviceChannelContract(IChannelHarness channel)
{
    private Task<HttpResponseMessage> RequestAsync(IChannelDevice device, string action) =>
        channel.Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{device.DeviceId}/{action}", null);

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = channel.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    private Task<DeviceAction> LatestAsync(IChannelDevice device, RemoteAction action) =>
        DbAsync(db => db.DeviceActions.AsNoTracking().Where(a => a.DeviceId == device.DeviceId && a.Action == action)
            .OrderByDescending(a => a.RequestedAt).ThenByDescending(a => a.Id).FirstAsync());

    private Task<Command> CommandAsync(Guid id) => DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.Id == id));

    private async Task<DeviceAction> LockedAsync(IChannelDevice device)
    {
        Assert.Equal(HttpStatusCode.NoContent, (await RequestAsync(device, "remoteLock")).StatusCode);
        return await LatestAsync(device, RemoteAction.RemoteLock);
    }

    [Fact]
    public async Task Enrol_Lock_Acknowledged_Done()
    {
        var device = await channel.EnrolledDeviceAsync();
        var pending = await LockedAsync(device);
        Assert.Equal(DeviceActionState.Pending, pending.State);

        Assert.Contains(pending.CommandId!.Value, await device.RunSessionAsync());

        var done = await LatestAsync(device, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Done, done.State);
        Assert.Equal(CommandStatus.Acknowledged, (await CommandAsync(done.CommandId!.Value)).Status);
    }

    [Fact]
    public async Task Deferral_PutOff_BackToPending_ThenDoneInTheNextSession()
    {
        var device = await channel.EnrolledDeviceAsync();
        var action = await LockedAsync(device);

        Assert.Contains(action.CommandId!.Value, await device.RunSessionAsync(putOffTheFirst: true));
        Assert.Equal(DeviceActionState.Pending, (await LatestAsync(device, RemoteAction.RemoteLock)).State);
        Assert.Equal(CommandStatus.NotNow, (await CommandAsync(action.CommandId.Value)).Status);

        Assert.Contains(action.CommandId.Value, await device.RunSessionAsync());
        Assert.Equal(DeviceActionState.Done, (await LatestAsync(device, RemoteAction.RemoteLock)).State);
    }

    [Fact]
    public async Task ReplayedReport_ChangesNothing()
    {
        var device = await channel.EnrolledDeviceAsync();
        var action = await LockedAsync(device);
        await device.RunSessionAsync();
        var done = await LatestAsync(device, RemoteAction.RemoteLock);
        var transitions = await DbAsync(db => db.DeviceActionTransitions.CountAsync(t => t.DeviceActionId == action.Id));

        Assert.True((await device.AcknowledgeAsync(action.CommandId!.Value)) is HttpStatusCode.OK or HttpStatusCode.NoContent);

        var after = await LatestAsync(device, RemoteAction.RemoteLock);
        Assert.Equal((done.State, done.LastUpdatedAt), (after.State, after.LastUpdatedAt));
        Assert.Equal(transitions, await DbAsync(db => db.DeviceActionTransitions.CountAsync(t => t.DeviceActionId == action.Id)));
    }

    [Fact]
    public async Task AnotherDevicesCommandId_IsRefused_AndNothingChanges()
    {
        var victim = await channel.EnrolledDeviceAsync();
        var attacker = await channel.EnrolledDeviceAsync();
        var action = await LockedAsync(victim);

        Assert.Equal(HttpStatusCode.BadRequest, await attacker.AcknowledgeAsync(action.CommandId!.Value));

        Assert.Equal(DeviceActionState.Pending, (await LatestAsync(victim, RemoteAction.RemoteLock)).State);
        Assert.Equal(CommandStatus.Queued, (await CommandAsync(action.CommandId.Value)).Status);
        Assert.Contains(action.CommandId.Value, await victim.RunSessionAsync()); // and the real device still gets it
    }

    [Fact]
    public async Task Reenrolment_DropsTheQueue_AndFailsItsActions()
    {
        var device = await channel.EnrolledDeviceAsync();
        var action = await LockedAsync(device);

        await device.ReenrolAsync();

        var failed = await LatestAsync(device, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Failed, failed.State);
        Assert.Contains("enrolled again", failed.Reason);
        Assert.DoesNotContain(action.CommandId!.Value, await device.RunSessionAsync());
    }

    [Fact]
    public async Task AfterUnenrolment_LaterActionsAreRefusedWithTheReason()
    {
        var device = await channel.EnrolledDeviceAsync();
        await device.UnenrolAsync();

        var refused = await RequestAsync(device, "remoteLock");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("left management", await refused.Content.ReadAsStringAsync());
        Assert.Equal(0, await DbAsync(db => db.Commands.CountAsync(c => c.DeviceId == device.DeviceId && CommandStatuses.Open.Contains(c.Status))));
    }

    [Fact]
    public async Task ACommandTheChannelCannotRun_FailsWithItsReason_AndIsNeverSent()
    {
        var device = await channel.EnrolledDeviceAsync();
        await using (var scope = channel.Services.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<CommandQueue>();
            await queue.EnqueueAsync([queue.Create(device.DeviceId, "NoSuchCommand", CommandPriority.Urgent)]);
        }
        var action = await LockedAsync(device);

        var received = await device.RunSessionAsync();

        var unknown = await DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.DeviceId == device.DeviceId && c.Type == "NoSuchCommand"));
        Assert.Equal(CommandStatus.Error, unknown.Status);
        Assert.Equal(0, unknown.DeliveryCount);
        Assert.Null(unknown.LastSentAt);
        Assert.Contains("NoSuchCommand", unknown.Error);
        Assert.DoesNotContain(unknown.Id, received);
        Assert.Contains(action.CommandId!.Value, received); // the device still gets what it can run
    }

    [Fact]
    public async Task AnActionWakesTheDeviceThroughTheChannelsPushService()
    {
        var device = await channel.EnrolledDeviceAsync();
        var before = channel.WakeUpsOf(device);
        await LockedAsync(device);

        // The push goes out after the request's commit, from the channel's own sender: wait for it, never as a test of speed.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (channel.WakeUpsOf(device) == before && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(channel.WakeUpsOf(device) > before, "the channel's push service was not asked to wake the device");
    }

    [Fact]
    public async Task PasscodeReset_ThePasscodeComesFromWhereThePlatformMakesIt()
    {
        var device = await channel.EnrolledDeviceAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await RequestAsync(device, "resetPasscode")).StatusCode);
        var requested = await LatestAsync(device, RemoteAction.ResetPasscode);

        await device.RunSessionAsync();

        var done = await LatestAsync(device, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Done, done.State);
        switch (channel.ResetPasscode)
        {
            case PasscodeSource.None:
                Assert.Null(done.ProtectedPasscode);
                break;
            case PasscodeSource.MadeByLatch:
                Assert.NotNull(requested.ProtectedPasscode);
                Assert.Equal(requested.ProtectedPasscode, done.ProtectedPasscode);
                break;
            case PasscodeSource.FromDevice:
                Assert.Null(requested.ProtectedPasscode);
                await using (var scope = channel.Services.CreateAsyncScope())
                    Assert.Equal(device.PasscodeOnDevice, await scope.ServiceProvider.GetRequiredService<DeviceActions>().RevealPasscodeAsync(done.Id, "contract"));
                break;
        }
    }
}
