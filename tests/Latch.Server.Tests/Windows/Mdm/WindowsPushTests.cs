using Latch.Core.Actions;
using Latch.Core.Enrollment;
using Latch.Core.Rules;
using Latch.Devices.Windows;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Mdm;

public sealed class WindowsPushServer() : WindowsServerFixture(withPush: true);

/// <summary>
/// WNS wake-ups end to end: the server's real WNS client pushes to a fake WNS, and a simulated device that is woken by
/// a push runs a session (Alert 1200) by itself. Background work is waited for with a generous deadline, never timed.
/// </summary>
public sealed class WindowsPushTests(WindowsPushServer fixture) : IClassFixture<WindowsPushServer>
{
    private WindowsTestServer Server => fixture.Server;
    private FakeWns Wns => Server.Wns!;

    private Task<WindowsEnrollment> EnrollmentOfAsync(SimulatedWindowsDevice device) =>
        Server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().Where(e => e.DeviceIdentifier == device.DeviceId)
            .OrderByDescending(e => e.EnrolledAt).FirstAsync());

    private async Task<WindowsEnrollment> EnrollmentWhenAsync(SimulatedWindowsDevice device, Func<WindowsEnrollment, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var enrollment = await EnrollmentOfAsync(device);
            if (condition(enrollment)) return enrollment;
            if (DateTime.UtcNow > deadline) Assert.Fail($"The enrolment never came to be {what}.");
            await Task.Delay(25);
        }
    }

    private async Task<int> NotificationsWhenMoreThanAsync(string channelUri, int before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Wns.NotificationsTo(channelUri).Count <= before && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(Wns.NotificationsTo(channelUri).Count > before, "the server sent no WNS notification to the channel");
        return Wns.NotificationsTo(channelUri).Count;
    }

    [Fact]
    public async Task Enrolment_TheServerReadsTheChannelUri_AndStoresItOnTheEnrolment()
    {
        var (device, _) = await Server.EnrolledAsync(WindowsScenarios.Mobile);

        var enrollment = await EnrollmentOfAsync(device);

        Assert.Equal(device.PushChannelUri, enrollment.PushChannelUri);
        Assert.Null(enrollment.PushChannelDeadAt);
    }

    [Fact]
    public async Task RemoteLock_IsPushedThroughWns_AndTheWokenDeviceRunsItsSession_NoTestDrivenSession()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile, wakeOnPush: true);

        var requested = await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        var action = await Server.FinishedAsync(id, RemoteAction.RemoteLock);

        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.True(device.Locked);
        Assert.Equal(1, device.SessionsAfterPush); // the session that fetched the lock opened with Alert 1200
        var push = Assert.Single(Wns.NotificationsTo(device.PushChannelUri!));
        Assert.Equal(200, push.Status);
        Assert.Equal("wns/raw", push.WnsType);
        Assert.Equal("application/octet-stream", push.ContentType);
        Assert.True(push.ReceivedAt >= requested.RequestedAt && push.ReceivedAt <= action.LastUpdatedAt,
            "the device fetched its lock after the push, not before");
    }

    [Fact]
    public async Task GoneChannel_IsMarkedDeadAfterAPush_FurtherActionsSendNoPush_ANewChannelUriRevivesIt()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Phone81);
        var (witness, witnessId) = await Server.EnrolledAsync(WindowsScenarios.Phone81);
        var deadUri = device.PushChannelUri!;
        Wns.Answer(deadUri, FakeWnsAnswer.Gone);

        await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        var pushes = await NotificationsWhenMoreThanAsync(deadUri, 0);
        var dead = await EnrollmentWhenAsync(device, e => e.PushChannelDeadAt is not null, "marked dead");
        Assert.Equal(410, Wns.NotificationsTo(deadUri)[^1].Status);
        Assert.Equal(deadUri, dead.PushChannelUri);

        // A further action is not pushed to the dead channel. The witness's push, asked for after it, is the sign
        // that the dispatcher has got past it (it sends in the order it was asked).
        await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        await Server.RequestedAsync(witnessId, RemoteAction.RemoteLock);
        await NotificationsWhenMoreThanAsync(witness.PushChannelUri!, 0);
        Assert.Equal(pushes, Wns.NotificationsTo(deadUri).Count);

        // The device's next session reports a new channel URI: the enrolment has a live channel again, and pushes go to it.
        device.PushChannelUri = Wns.NewChannel();
        var session = await device.SessionAsync();
        Assert.Contains(session.Commands, c => c.Name == "Get" && c.Target!.EndsWith("/Push/ChannelURI", StringComparison.Ordinal));
        var revived = await EnrollmentOfAsync(device);
        Assert.Equal(device.PushChannelUri, revived.PushChannelUri);
        Assert.Null(revived.PushChannelDeadAt);
        Assert.True(device.Locked); // the session fetched what was queued
        await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        await NotificationsWhenMoreThanAsync(device.PushChannelUri, 0);
    }
}

public sealed class WindowsWithoutPushServer() : WindowsServerFixture(withPush: false);

/// <summary>Without WNS credentials nothing is pushed: the device gets its command when it next polls.</summary>
public sealed class WindowsWithoutPushTests(WindowsWithoutPushServer fixture) : IClassFixture<WindowsWithoutPushServer>
{
    private WindowsTestServer Server => fixture.Server;

    [Fact]
    public async Task RemoteLock_WithoutWns_CompletesAtTheDevicesNextPoll()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile);
        Assert.Null(Server.Wns);

        var requested = await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Pending, requested.State);
        Assert.False(device.Locked);

        await device.SessionAsync();

        Assert.Equal(DeviceActionState.Done, (await Server.LatestActionAsync(id, RemoteAction.RemoteLock)).State);
        Assert.True(device.Locked);
        Assert.Null((await Server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.DeviceId == id))).PushChannelUri);
    }
}
