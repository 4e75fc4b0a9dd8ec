using System.Net;
using System.Text;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Rules;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// Bad input on the Apple device endpoints: each gets a clear 4xx (400 for anything about identity — never 401, which
/// can make a device unenrol), is audited without secrets, and changes nothing. Runs without a push certificate,
/// which also shows that devices get their commands by checking in.
/// </summary>
public sealed class AppleMdmRefusalTests : IAsyncLifetime
{
    private const string ReportType = Latch.Protocols.Apple.CommandResponse.ContentType;
    private AppleTestServer _server = null!;
    private SimulatedAppleDevice _phone = null!;
    private Guid _phoneId;

    public async ValueTask InitializeAsync()
    {
        _server = await AppleTestServer.StartAsync(withPush: false, new Dictionary<string, string?> { ["Apple:MaxMessageBytes"] = "65536" });
        _phone = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        _phoneId = await _server.DeviceIdOfAsync(_phone);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<int> RefusalsAsync() => _server.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditKinds.DeviceRequestRefused));

    private static Task AssertRefusedAsync(AppleRawResponse response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, Encoding.UTF8.GetString(response.Body.Span), StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task IdleWithNothingQueued_Is200WithAZeroLengthBody()
    {
        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, _phone.CreateIdleReport());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, response.Body.Length);
    }

    [Fact]
    public async Task WithoutPushes_TheDeviceGetsItsLockAtItsNextCheckIn()
    {
        var response = await _server.Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{_phoneId}/remoteLock", null);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var session = await _phone.RunSessionAsync();

        Assert.Equal("DeviceLock", Assert.Single(session.Commands).RequestType);
        Assert.Equal(Core.Actions.DeviceActionState.Done, (await _server.ActionWhenFinishedAsync(_phoneId, RemoteAction.RemoteLock)).State);
    }

    [Theory]
    [InlineData(SignatureMode.None, "signed")]
    [InlineData(SignatureMode.Forged, "signed")]
    [InlineData(SignatureMode.OtherIdentity, "not the identity of any Latch enrolment")]
    public async Task UnsignedForgedOrForeignSignature_Is400_Audited_NothingChanges(SignatureMode signature, string reason)
    {
        await _server.Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{_phoneId}/remoteLock", null);
        var refusals = await RefusalsAsync();

        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, _phone.CreateIdleReport(), signature);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, reason);
        Assert.Equal(refusals + 1, await RefusalsAsync());
        var lockCommand = await _server.DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.DeviceId == _phoneId && c.Type == CommandTypes.RemoteLock));
        Assert.Equal(Core.Commands.CommandStatus.Queued, lockCommand.Status); // not handed out
    }

    [Fact]
    public async Task AnotherDevicesUdid_SignedWithThisIdentity_Is400()
    {
        var other = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPad);
        var body = Plist.Write(new PlistDict([new("UDID", new PlistString(other.Udid)), new("Status", new PlistString("Idle"))]));

        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, body);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "different device");
    }

    [Fact]
    public async Task AnotherDevicesCommandUuid_Is400_AndThatCommandIsUntouched()
    {
        var other = await _server.EnrolledDeviceAsync(AppleDeviceKind.IPhone);
        var otherId = await _server.DeviceIdOfAsync(other);
        await _server.Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{otherId}/remoteLock", null);
        var command = await _server.DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.DeviceId == otherId && c.Type == CommandTypes.RemoteLock));
        var body = Plist.Write(new PlistDict(
        [
            new("UDID", new PlistString(_phone.Udid)),
            new("Status", new PlistString("Acknowledged")),
            new("CommandUUID", new PlistString(command.Id.ToString())),
        ]));

        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, body);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "not one of this device's commands");
        var after = await _server.DbAsync(db => db.Commands.AsNoTracking().SingleAsync(c => c.Id == command.Id));
        Assert.Equal(Core.Commands.CommandStatus.Queued, after.Status);
    }

    [Theory]
    [InlineData("<plist><dict><key>UDID</key>", "not a valid message")]
    [InlineData("not xml at all", "not a valid message")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><plist><dict><key>Status</key><string>&x;</string></dict></plist>", "not a valid message")]
    [InlineData("<plist version=\"1.0\"><dict><key>Status</key><string>Idle</string></dict></plist>", "UDID")]
    [InlineData("<plist version=\"1.0\"><dict><key>UDID</key><string>X</string><key>Status</key><string>Sleeping</string></dict></plist>", "Sleeping")]
    public async Task MalformedReports_Are400_NamingTheProblem(string body, string reason)
    {
        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, Encoding.UTF8.GetBytes(body));
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, reason);
    }

    [Fact]
    public async Task UnknownCheckinMessageType_Is400()
    {
        var body = Plist.Write(new PlistDict(
        [
            new("MessageType", new PlistString("Teleport")), new("UDID", new PlistString(_phone.Udid)),
            new("Topic", new PlistString(AppleTestServer.Topic)),
        ]));
        var response = await _phone.SendRawAsync(_phone.Profile.CheckInUrl, CheckinMessage.ContentType, body);
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "Unknown check-in MessageType 'Teleport'");
    }

    [Fact]
    public async Task UserAuthenticate_IsDeclinedWith410_AsAppleDocuments()
    {
        var body = Plist.Write(new PlistDict(
        [
            new("MessageType", new PlistString("UserAuthenticate")), new("UDID", new PlistString(_phone.Udid)),
            new("UserID", new PlistString("0A1B2C3D-0000-0000-0000-000000000001")),
        ]));
        var response = await _phone.SendRawAsync(_phone.Profile.CheckInUrl, CheckinMessage.ContentType, body);
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    }

    [Fact]
    public async Task WrongContentType_Is415()
    {
        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, "application/json", _phone.CreateIdleReport());
        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, ReportType);
        var checkin = await _phone.SendRawAsync(_phone.Profile.CheckInUrl, ReportType, _phone.CreateAuthenticateMessage());
        await AssertRefusedAsync(checkin, HttpStatusCode.UnsupportedMediaType, CheckinMessage.ContentType);
    }

    [Fact]
    public async Task OversizedBody_Is413_BeforeAnythingIsParsed()
    {
        var padding = new string('a', 70_000);
        var body = Plist.Write(new PlistDict(
        [
            new("UDID", new PlistString(_phone.Udid)), new("Status", new PlistString("Idle")), new("Padding", new PlistString(padding)),
        ]));
        var response = await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, body);
        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than 65536 bytes");
    }

    [Fact]
    public async Task WrongTopic_Is400()
    {
        var body = Plist.Write(new PlistDict(
        [
            new("MessageType", new PlistString("Authenticate")), new("UDID", new PlistString(_phone.Udid)),
            new("Topic", new PlistString("com.apple.mgmt.External.someone-else")),
        ]));
        var response = await _phone.SendRawAsync(_phone.Profile.CheckInUrl, CheckinMessage.ContentType, body);
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "not this server's push topic");
    }

    [Fact]
    public async Task AProfileInstalledOnASecondDevice_CannotAuthenticateThatDevice()
    {
        // The same signed identity presented with another UDID: the enrolment is bound to the first device.
        var body = Plist.Write(new PlistDict(
        [
            new("MessageType", new PlistString("Authenticate")), new("UDID", new PlistString("00008110-000A1B2C3D4E5F60")),
            new("Topic", new PlistString(AppleTestServer.Topic)),
        ]));
        var response = await _phone.SendRawAsync(_phone.Profile.CheckInUrl, CheckinMessage.ContentType, body);
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "different device");
    }

    [Fact]
    public async Task RefusalsAreAudited_WithoutSecrets()
    {
        await _phone.SendRawAsync(_phone.Profile.ServerUrl, ReportType, _phone.CreateIdleReport(), SignatureMode.Forged);

        var details = await _server.DbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditKinds.DeviceRequestRefused).Select(e => e.Detail).ToListAsync());
        var detail = Assert.Single(details);
        Assert.Contains("/mdm/apple/command", detail);
        Assert.DoesNotContain(_phone.PushMagic, detail);
        Assert.DoesNotContain(Convert.ToBase64String(_phone.UnlockToken!.Value.Span), detail);
    }
}
