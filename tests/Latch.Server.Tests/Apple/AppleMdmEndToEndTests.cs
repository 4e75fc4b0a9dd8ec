using System.Net;
using System.Text.Json;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Rules;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;
using Microsoft.EntityFrameworkCore;
using DeviceStatus = Latch.Protocols.Apple.CommandResponseStatus;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// Apple MDM end to end: simulated devices enrol from real signed profiles, sign every request, and the server's real
/// APNs client pushes to a fake APNs over HTTP/2 + TLS, which wakes the device it addresses.
/// </summary>
public sealed class AppleMdmEndToEndTests : IAsyncLifetime
{
    private AppleTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await AppleTestServer.StartAsync(withPush: true);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(Guid deviceId, string action, bool lostConfirmed = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.0/deviceManagement/managedDevices/{deviceId}/{action}");
        if (lostConfirmed) request.Headers.Add("Latch-Lost-Device-Confirmed", "true");
        return _server.Admin.SendAsync(request);
    }

    private static async Task<string> ErrorMessageOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString()!;

    [Fact]
    public async Task RemoteLock_ThroughGraph_IsPushed_FetchedAndAcknowledged_ActionDone()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        var deviceId = await _server.DeviceIdOfAsync(phone);

        var response = await PostAsync(deviceId, "remoteLock");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.True(phone.IsLocked);
        var lockCommand = Assert.Single(phone.ReceivedCommands, c => c.RequestType == "DeviceLock");
        Assert.Equal(action.CommandId!.Value, Guid.Parse(lockCommand.CommandUUID));
        Assert.Equal(DeviceStatus.Acknowledged, lockCommand.Answer);
        // The push reached APNs as Apple documents it, with this device's token and PushMagic.
        var push = _server.Apns!.PushesTo(phone.PushToken)[^1];
        Assert.Equal(AppleTestServer.Topic, push.Topic);
        Assert.Equal("mdm", push.PushType);
        Assert.Equal(phone.PushMagic, push.PushMagic);
        Assert.Equal("HTTP/2", push.Protocol);
    }

    [Fact]
    public async Task Enrolment_BindsTheDeviceToItsUser_AndItsOwnAnswersFillInTheFacts()
    {
        var pad = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPad, AppleTestServer.Grace,
            new SimulatedAppleDeviceOptions { DeviceName = "Grace's test iPad", OSVersion = "17.6.1", Supervised = true, PasscodeSet = true });
        var deviceId = await _server.DeviceIdOfAsync(pad);

        var device = await _server.DbAsync(db => db.Devices.Include(d => d.Owner).AsNoTracking().SingleAsync(d => d.Id == deviceId));
        Assert.Equal("Grace's test iPad", device.Name);
        Assert.Equal(Platform.IOS, device.Platform);
        Assert.Equal("17.6.1", device.OsVersion.ToString());
        Assert.Equal(pad.SerialNumber, device.SerialNumber);
        Assert.Equal(AppleTestServer.Grace, device.Owner!.UserPrincipalName);
        Assert.Equal(ManagementChannel.DirectMdm, device.Channel);
        Assert.True(device.Supervised);      // from DeviceInformation's IsSupervised
        Assert.True(device.PasscodeSet);     // from SecurityInfo's PasscodePresent
        Assert.True(device.HasUnlockToken);  // from TokenUpdate
        Assert.Contains(pad.ReceivedCommands, c => c.RequestType == "DeviceInformation" && c.Answer == DeviceStatus.Acknowledged);
        Assert.Contains(pad.ReceivedCommands, c => c.RequestType == "SecurityInfo" && c.Answer == DeviceStatus.Acknowledged);

        // The unlock token is kept encrypted: the stored value is not the token in any plain encoding.
        var stored = await _server.DbAsync(db => db.AppleEnrollments.Where(e => e.DeviceId == deviceId).Select(e => e.ProtectedUnlockToken).SingleAsync());
        Assert.NotNull(stored);
        Assert.DoesNotContain(Convert.ToBase64String(pad.UnlockToken!.Value.Span), stored);
        Assert.DoesNotContain(Convert.ToHexString(pad.UnlockToken!.Value.Span), stored, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PasscodeReset_OnIos_SendsClearPasscodeWithTheUnlockToken_NoTemporaryPasscode()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        var deviceId = await _server.DeviceIdOfAsync(phone);

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(deviceId, "resetPasscode")).StatusCode);

        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.Null(action.ProtectedPasscode);
        Assert.False(phone.PasscodeSet);
        var clear = MdmCommand.Decode(Assert.Single(phone.ReceivedCommands, c => c.RequestType == "ClearPasscode").Raw);
        Assert.True(((ClearPasscode)clear).UnlockToken.Span.SequenceEqual(phone.UnlockToken!.Value.Span));

        var json = JsonDocument.Parse(await _server.Admin.GetStringAsync($"/v1.0/deviceManagement/managedDevices/{deviceId}")).RootElement;
        var result = json.GetProperty("deviceActionResults").EnumerateArray().Single(r => r.GetProperty("actionName").GetString() == "resetPasscode");
        Assert.Equal("done", result.GetProperty("actionState").GetString());
        Assert.True(!result.TryGetProperty("passcode", out var passcode) || passcode.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task PasscodeReset_BeforeTheUnlockTokenArrived_IsRefusedWithTheReason()
    {
        var phone = await _server.NewDeviceAsync(AppleDeviceKind.IPhone);
        var authenticate = await phone.SendRawAsync(phone.Profile.CheckInUrl, CheckinMessage.ContentType, phone.CreateAuthenticateMessage());
        Assert.Equal(HttpStatusCode.OK, authenticate.StatusCode);
        var deviceId = await _server.DeviceIdOfAsync(phone);

        var response = await PostAsync(deviceId, "resetPasscode");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unlock token", await ErrorMessageOf(response));
    }

    [Fact]
    public async Task Mac_LockAndReset_AreRefusedPerSpec_AndNothingIsSent()
    {
        var mac = await _server.EnrolledDeviceAsync(AppleDeviceKind.Mac);
        var deviceId = await _server.DeviceIdOfAsync(mac);
        var before = mac.ReceivedCommands.Count;

        var locked = await PostAsync(deviceId, "remoteLock");
        var reset = await PostAsync(deviceId, "resetPasscode");

        Assert.Equal(HttpStatusCode.BadRequest, locked.StatusCode);
        Assert.Contains("not supported on macOS", await ErrorMessageOf(locked));
        Assert.Equal(HttpStatusCode.BadRequest, reset.StatusCode);
        Assert.Contains("not supported on macOS", await ErrorMessageOf(reset));
        Assert.True((await mac.RunSessionAsync()).Completed);
        Assert.Equal(before, mac.ReceivedCommands.Count);
        Assert.Equal(Platform.MacOS, await _server.DbAsync(db => db.Devices.Where(d => d.Id == deviceId).Select(d => d.Platform).SingleAsync()));
    }

    [Fact]
    public async Task DeviceWithoutPasscode_LockRefusedByTheRules_UsingTheFactTheDeviceReported()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone, options: new SimulatedAppleDeviceOptions { PasscodeSet = false });
        var deviceId = await _server.DeviceIdOfAsync(phone);

        var response = await PostAsync(deviceId, "remoteLock");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no PIN or passcode", await ErrorMessageOf(response));
    }

    [Fact]
    public async Task NoPasscodeSet_AnsweredByTheDevice_FailsTheActionWithThatReason()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        var deviceId = await _server.DeviceIdOfAsync(phone);
        phone.PasscodeSet = false; // removed on the device after its last SecurityInfo: the server's fact is stale

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(deviceId, "remoteLock")).StatusCode);

        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Contains("NoPasscodeSet", action.Reason);
    }

    [Fact]
    public async Task NotNow_TheCommandIsOfferedAgainInTheNextSession_ThenDone()
    {
        // Sessions are driven by hand here: a push-woken session would race with the ones the test runs.
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone, pushAnswer: FakeApnsAnswer.ServiceUnavailable);
        var deviceId = await _server.DeviceIdOfAsync(phone);
        phone.AnswerNotNow(1, type => type == "DeviceLock");
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(deviceId, "remoteLock")).StatusCode);

        var putOff = await phone.RunSessionAsync();

        Assert.Equal(DeviceStatus.NotNow, Assert.Single(putOff.Commands, c => c.RequestType == "DeviceLock").Answer);
        var waiting = await _server.DbAsync(db => db.DeviceActions.Where(a => a.DeviceId == deviceId && a.Action == RemoteAction.RemoteLock)
            .Select(a => a.State).SingleAsync());
        Assert.Equal(DeviceActionState.Pending, waiting);
        Assert.False(phone.IsLocked);

        var session = await phone.RunSessionAsync();

        var offeredAgain = Assert.Single(session.Commands);
        Assert.Equal("DeviceLock", offeredAgain.RequestType);
        Assert.Equal(DeviceStatus.Acknowledged, offeredAgain.Answer);
        Assert.Equal(DeviceActionState.Done, (await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock)).State);
        Assert.True(phone.IsLocked);
    }

    [Fact]
    public async Task ReplayedAcknowledged_ChangesNothing_AndAnswersLikeTheFirst()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        var deviceId = await _server.DeviceIdOfAsync(phone);
        await PostAsync(deviceId, "remoteLock");
        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock);
        var auditBefore = await _server.DbAsync(db => db.AuditEvents.CountAsync());

        var ack = Plist.Write(new PlistDict(
        [
            new("UDID", new PlistString(phone.Udid)),
            new("Status", new PlistString("Acknowledged")),
            new("CommandUUID", new PlistString(action.CommandId!.Value.ToString().ToUpperInvariant())),
        ]));
        var replay = await phone.SendRawAsync(phone.Profile.ServerUrl, DeviceReportContentType, ack);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(0, replay.Body.Length);
        var after = await _server.DbAsync(db => db.DeviceActions.AsNoTracking().SingleAsync(a => a.Id == action.Id));
        Assert.Equal(DeviceActionState.Done, after.State);
        Assert.Equal(action.LastUpdatedAt, after.LastUpdatedAt);
        Assert.Equal(auditBefore, await _server.DbAsync(db => db.AuditEvents.CountAsync()));
    }

    [Fact]
    public async Task ReEnrolment_DropsTheOldQueue_AndTheNewEnrolmentStartsClean()
    {
        var first = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone, pushAnswer: FakeApnsAnswer.ServiceUnavailable); // never woken
        var deviceId = await _server.DeviceIdOfAsync(first);

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(deviceId, "remoteLock")).StatusCode);
        // The same phone (same UDID) installs a new profile before it ever fetched the lock.
        var again = await _server.NewDeviceAsync(AppleDeviceKind.IPhone, options: new SimulatedAppleDeviceOptions { Udid = first.Udid, SerialNumber = first.SerialNumber });
        await again.EnrollAsync();

        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Contains("enrolled again", action.Reason);
        Assert.Equal(deviceId, await _server.DeviceIdOfAsync(again)); // still the same device in Latch
        var session = await again.RunSessionAsync();
        Assert.DoesNotContain(session.Commands, c => c.RequestType == "DeviceLock");
        // The old identity is superseded: it can no longer speak for the device.
        var stale = await first.SendRawAsync(first.Profile.ServerUrl, DeviceReportContentType, first.CreateIdleReport());
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
    }

    [Fact]
    public async Task CheckOut_Unenrols_ClearsTheQueue_AndLaterActionsAreRefusedWithTheReason()
    {
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone, pushAnswer: FakeApnsAnswer.ServiceUnavailable);
        var deviceId = await _server.DeviceIdOfAsync(phone);
        await PostAsync(deviceId, "remoteLock");

        await phone.CheckOutAsync();

        var action = await _server.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Contains("left management", action.Reason);
        var enrollment = await _server.DbAsync(db => db.AppleEnrollments.AsNoTracking().SingleAsync(e => e.DeviceId == deviceId));
        Assert.Equal(AppleEnrollmentState.CheckedOut, enrollment.State);
        Assert.Null(enrollment.ProtectedUnlockToken);
        var refused = await PostAsync(deviceId, "remoteLock");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("left management", await ErrorMessageOf(refused));
        var after = await phone.SendRawAsync(phone.Profile.ServerUrl, DeviceReportContentType, phone.CreateIdleReport());
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
    }

    [Fact]
    public async Task DeadPushToken_410_IsMarked_AndNoMorePushesGoToIt_TheDeviceStillGetsItsCommandByPolling()
    {
        // APNs says the token is dead from the first push on (the one after TokenUpdate).
        var phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone, pushAnswer: FakeApnsAnswer.Unregistered);
        var deviceId = await _server.DeviceIdOfAsync(phone);
        await WaitUntilAsync(async () => await _server.DbAsync(db => db.AppleEnrollments.AnyAsync(e => e.DeviceId == deviceId && e.PushTokenInvalidAt != null)));
        var pushes = _server.Apns!.PushesTo(phone.PushToken).Count;
        Assert.True(pushes >= 1);

        await PostAsync(deviceId, "remoteLock");
        await PostAsync(deviceId, "resetPasscode");

        Assert.Equal(pushes, _server.Apns.PushesTo(phone.PushToken).Count);
        var session = await phone.RunSessionAsync();
        Assert.Equal(["DeviceLock", "ClearPasscode"], session.Commands.Select(c => c.RequestType)); // urgent, oldest first
    }

    private const string DeviceReportContentType = Latch.Protocols.Apple.CommandResponse.ContentType;

    private static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("The condition did not come true.");
            await Task.Delay(50);
        }
    }
}
