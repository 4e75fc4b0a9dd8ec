using System.Net;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class SessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Session_WithNothingQueued_IsOneIdleAndEnds()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);

        var session = await run.Device.RunSessionAsync(Ct);

        Assert.True(session.Completed);
        Assert.Empty(session.Commands);
        var idle = Assert.Single(run.Server.Reports);
        Assert.Equal(CommandResponseStatus.Idle, idle.Status);
        Assert.Null(idle.CommandUUID);
        Assert.Equal(run.Device.Udid, idle.UDID);
    }

    [Fact]
    public async Task Session_AnswersEveryCommandInOrder_UntilAnEmptyBody()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        MdmCommand[] commands = [new SecurityInfo(Enrolled.NewUuid()), new DeviceLock(Enrolled.NewUuid()), new DeviceInformation(Enrolled.NewUuid(), ["UDID"])];
        foreach (var command in commands)
        {
            run.Server.Enqueue(command, run.Device.Udid);
        }

        var session = await run.Device.RunSessionAsync(Ct);

        Assert.True(session.Completed);
        Assert.Equal(commands.Select(c => c.CommandUUID), session.Commands.Select(c => c.CommandUUID));
        Assert.Equal(["SecurityInfo", "DeviceLock", "DeviceInformation"], session.Commands.Select(c => c.RequestType));
        Assert.Equal([1, 2, 3], session.Commands.Select(c => c.Sequence));
        Assert.Equal(
            [CommandResponseStatus.Idle, CommandResponseStatus.Acknowledged, CommandResponseStatus.Acknowledged, CommandResponseStatus.Acknowledged],
            run.Server.Reports.Select(r => r.Status));
        Assert.Equal(session.Commands, run.Device.ReceivedCommands);
    }

    [Fact]
    public async Task NotNow_TheCommandIsOfferedAgainInTheNextSession_AndThenExecuted()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var command = new DeviceLock(Enrolled.NewUuid());
        run.Server.Enqueue(command, run.Device.Udid);
        run.Device.AnswerNotNow(count: 1);

        var first = await run.Device.RunSessionAsync(Ct);
        Assert.Equal(CommandResponseStatus.NotNow, Assert.Single(first.Commands).Answer);
        Assert.False(run.Device.IsLocked);

        var second = await run.Device.RunSessionAsync(Ct);
        var again = Assert.Single(second.Commands);
        Assert.Equal((command.CommandUUID, CommandResponseStatus.Acknowledged), (again.CommandUUID, again.Answer));
        Assert.True(run.Device.IsLocked);
        Assert.Equal(
            [CommandResponseStatus.Idle, CommandResponseStatus.NotNow, CommandResponseStatus.Idle, CommandResponseStatus.Acknowledged],
            run.Server.Reports.Select(r => r.Status));
    }

    [Fact]
    public async Task NotNow_ByRequestType_PutsOffOnlyThatType()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        run.Server.Enqueue(new SecurityInfo(Enrolled.NewUuid()), run.Device.Udid);
        run.Server.Enqueue(new DeviceLock(Enrolled.NewUuid()), run.Device.Udid);
        run.Device.AnswerNotNow(count: 5, requestType: t => t == "DeviceLock");

        var session = await run.Device.RunSessionAsync(Ct);

        Assert.Equal(
            [("SecurityInfo", CommandResponseStatus.Acknowledged), ("DeviceLock", CommandResponseStatus.NotNow)],
            session.Commands.Select(c => (c.RequestType, c.Answer)));
    }

    [Fact]
    public async Task CommandsFolder_GetsEveryReceivedCommandAsItCame()
    {
        var folder = Path.Combine(Path.GetTempPath(), "latch-devices-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone, new SimulatedAppleDeviceOptions { CommandsDirectory = folder });
            var lockCommand = new DeviceLock(Enrolled.NewUuid()) { Message = "Lost" };
            var info = new SecurityInfo(Enrolled.NewUuid());
            run.Server.Enqueue(lockCommand, run.Device.Udid);
            run.Server.Enqueue(info, run.Device.Udid);

            await run.Device.RunSessionAsync(Ct);

            var files = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal([$"0001-DeviceLock-{lockCommand.CommandUUID}.plist", $"0002-SecurityInfo-{info.CommandUUID}.plist"], files);
            var written = MdmCommand.Decode(await File.ReadAllBytesAsync(Path.Combine(folder, files[0]), Ct));
            Assert.Equal("Lost", Assert.IsType<DeviceLock>(written).Message);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task CommandsFolder_NamesAreSafe_WhateverTheServerSends()
    {
        var folder = Path.Combine(Path.GetTempPath(), "latch-devices-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone, new SimulatedAppleDeviceOptions { CommandsDirectory = folder });
            run.Server.Enqueue(new GenericCommand("../../escape", new PlistDict([new("RequestType", new PlistString("../x"))])), run.Device.Udid);

            await run.Device.RunSessionAsync(Ct);

            Assert.Equal(["0001-___x-______escape.plist"], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task ServerError_EndsTheSessionAndIsRecorded_WithoutRetry()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        run.Server.Enqueue(new DeviceLock(Enrolled.NewUuid()), run.Device.Udid);
        run.Server.Enqueue(new SecurityInfo(Enrolled.NewUuid()), run.Device.Udid);
        var requests = 0;
        run.Server.Refuse = (path, _) => path == "/mdm/server" && ++requests == 2 ? 500 : null;

        var session = await run.Device.RunSessionAsync(Ct);

        Assert.False(session.Completed);
        Assert.Equal(HttpStatusCode.InternalServerError, session.Error!.StatusCode);
        Assert.StartsWith("Acknowledged report on DeviceLock", session.Error.Request, StringComparison.Ordinal);
        Assert.Same(session.Error, run.Device.LastHttpError);
        Assert.Single(session.Commands);
        Assert.Equal(2, requests);
    }

    [Fact]
    public async Task ServerError_OnIdle_EndsTheSessionAtOnce()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);
        run.Server.Refuse = (path, _) => path == "/mdm/server" ? 400 : null;

        var session = await run.Device.RunSessionAsync(Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "Idle"), (session.Error!.StatusCode, session.Error.Request));
        Assert.Empty(session.Commands);
    }

    [Fact]
    public async Task AnswerThatIsNotACommand_EndsTheSession()
    {
        await using var server = await FakeMdmServer.StartAsync();
        // A body that is no plist at all: the device has no CommandUUID to report on.
        using var garbage = new SimulatedAppleDevice(server.Profile(), AppleDeviceKind.IPhone, new HttpClient(new GarbageHandler()));
        await garbage.EnrollAsync(Ct);

        var session = await garbage.RunSessionAsync(Ct);

        Assert.False(session.Completed);
        Assert.Null(session.Error!.StatusCode);
        Assert.Contains("not a command", session.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_WithTheWrongMagic_DoesNothing()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        run.Server.Enqueue(new DeviceLock(Enrolled.NewUuid()), run.Device.Udid);

        var session = await run.Device.OnPushAsync(Guid.NewGuid().ToString("D").ToUpperInvariant(), Ct);

        Assert.Null(session);
        Assert.Empty(run.Server.Reports);
        Assert.False(run.Device.IsLocked);
    }

    [Fact]
    public async Task Push_WithTheDevicesMagic_RunsASession()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        run.Server.Enqueue(new DeviceLock(Enrolled.NewUuid()), run.Device.Udid);

        var session = await run.Device.OnPushAsync(run.Device.PushMagic, Ct);

        Assert.Equal(CommandResponseStatus.Acknowledged, Assert.Single(session!.Commands).Answer);
        Assert.True(run.Device.IsLocked);
    }

    [Fact]
    public async Task Sessions_AreSerialised_APushDuringASessionWaitsForIt()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);

        var first = run.Device.RunSessionAsync(Ct);
        var pushed = run.Device.OnPushAsync(run.Device.PushMagic, Ct);
        var third = run.Device.RunSessionAsync(Ct);
        await Task.WhenAll((Task)first, pushed, third);

        Assert.Equal(1, run.Server.MaxConcurrentSessions);
        Assert.Equal(3, run.Server.Reports.Count(r => r.Status == CommandResponseStatus.Idle));
        Assert.True((await first).Completed);
        Assert.True((await pushed)!.Completed);
        Assert.True((await third).Completed);
    }

    [Fact]
    public async Task Session_BeforeEnrolment_IsRefused()
    {
        await using var server = await FakeMdmServer.StartAsync();
        using var device = new SimulatedAppleDevice(server.Profile(), AppleDeviceKind.IPhone, server.Client);

        await Assert.ThrowsAsync<InvalidOperationException>(() => device.RunSessionAsync(Ct));
        Assert.Null(await device.OnPushAsync(device.PushMagic, Ct));
    }

    // Accepts check-ins, and answers the command channel with bytes that are not a plist.
    private sealed class GarbageHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new ByteArrayContent(request.RequestUri!.AbsolutePath.EndsWith("/server", StringComparison.Ordinal) ? "not a plist"u8.ToArray() : []),
            });
    }
}
