using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Latch.Server.Devices;
using Latch.Server.Windows.Mdm;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Windows.Mdm;

public abstract class WindowsMdmRefusalServer(StorageBackend backend) : WindowsServerFixture(withPush: false, new Dictionary<string, string?>
{
    ["Windows:MaxMessageBytes"] = "4096",
    // One command per package, so a session with two queued commands lasts three packages.
    ["Windows:MaxCommandsPerMessage"] = "1",
}, backend);

public sealed class WindowsMdmRefusalOnSqliteServer() : WindowsMdmRefusalServer(SqliteBackend.Instance);

public sealed class WindowsMdmRefusalOnPostgresServer() : WindowsMdmRefusalServer(PostgresBackend.Instance);

public sealed class WindowsMdmRefusalOnSqlite(WindowsMdmRefusalOnSqliteServer fixture) : WindowsMdmRefusalTests(fixture), IClassFixture<WindowsMdmRefusalOnSqliteServer>;

public sealed class WindowsMdmRefusalOnPostgres(WindowsMdmRefusalOnPostgresServer fixture)
    : WindowsMdmRefusalTests(fixture), IClassFixture<WindowsMdmRefusalOnPostgresServer>;

/// <summary>
/// Bad input on the OMA-DM management endpoint: each gets the right 4xx with its reason, is audited as
/// <c>device.requestRefused</c>, and changes nothing (a queued command stays queued, its action pending). On SQLite and PostgreSQL.
/// </summary>
public abstract class WindowsMdmRefusalTests(WindowsMdmRefusalServer fixture)
{
    private WindowsTestServer Server => fixture.Server;

    /// <summary>A Windows Phone 8.1 (it locks and resets) with a lock queued for it.</summary>
    private async Task<(SimulatedWindowsDevice Device, Guid Id, DeviceAction Lock)> DeviceWithALockQueuedAsync()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Phone81);
        var action = await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Pending, action.State);
        return (device, id, action);
    }

    private Task<int> RefusalsAsync() => Server.DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditKinds.DeviceRequestRefused));

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    private async Task AssertUntouchedAsync(DeviceAction queued)
    {
        Assert.Equal(CommandStatus.Queued, (await Server.CommandOfAsync(queued)).Status);
        var now = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Pending, now.State);
        Assert.Equal(queued.LastUpdatedAt, now.LastUpdatedAt);
    }

    /// <summary>Package 1 of a session of the device's own, with any extra commands.</summary>
    private static byte[] Package1(SimulatedWindowsDevice device, string sessionId, params SyncCommand[] extra) => new SyncMessage
    {
        Header = device.HeaderFor(sessionId, 1),
        Commands = [new SyncAlert { CmdId = "1", Data = SyncAlertCodes.ClientInitiatedMgmt }, .. extra],
        Final = true,
    }.Encode();

    private static SyncStatus Ok(string cmdRef, string cmd = "Exec", string msgRef = "1") =>
        new() { CmdId = "2", MsgRef = msgRef, CmdRef = cmdRef, Cmd = cmd, Data = "200" };

    private static byte[] Package(SimulatedWindowsDevice device, string sessionId, int msgId, params SyncCommand[] commands) => new SyncMessage
    {
        Header = device.HeaderFor(sessionId, msgId),
        Commands = [new SyncStatus { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "200" }, .. commands],
        Final = true,
    }.Encode();

    // An exportable key pair's certificate, reloaded so it can be a TLS client certificate on Linux.
    private static X509Certificate2 WithKey(X509Certificate2 certificate, ECDsa key)
    {
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    // ---- Who is asking ----

    [Fact]
    public async Task NoClientCertificate_Is401_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        using var client = Server.ClientWithCertificate(null);

        using var response = await client.PostSyncMlAsync(device.ManagementUrl!, Package1(device, device.NextSessionId()));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "No client certificate");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task SelfSignedClientCertificate_Is401_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var selfSigned = new CertificateRequest($"CN={device.DeviceId}", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var certificate = X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), null);
        using var client = Server.ClientWithCertificate(certificate);

        using var response = await client.PostSyncMlAsync(device.ManagementUrl!, Package1(device, device.NextSessionId()));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "not issued by this Latch server's device CA");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task CertificateFromTheCaButOfNoEnrolment_Is401_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs10 = new CertificateRequest($"CN={device.DeviceId}", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        var issued = Server.App.Services.GetRequiredService<DeviceCertificateAuthority>().SignDeviceRequest(pkcs10, "Latch Windows device nobody enrolled");
        using var certificate = WithKey(issued.Certificate, key);
        issued.Certificate.Dispose();
        using var client = Server.ClientWithCertificate(certificate);

        using var response = await client.PostSyncMlAsync(device.ManagementUrl!, Package1(device, device.NextSessionId()));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, "not the certificate of any Latch enrolment");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    // ---- What is sent ----

    [Theory]
    [InlineData("<SyncML><SyncHdr><VerDTD>1.2</VerDTD>")]
    [InlineData("not xml at all")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><SyncML><SyncBody>&x;</SyncBody></SyncML>")]
    public async Task MalformedSyncMl_Is400_Audited_NothingChanges(string body)
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();

        using var response = await device.SendRawAsync(Encoding.UTF8.GetBytes(body));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "not valid SyncML");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task TruncatedSyncMl_Is400_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        var whole = Package1(device, device.NextSessionId());

        using var response = await device.SendRawAsync(whole[..(whole.Length / 2)]);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "not valid SyncML");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task WrongContentType_Is415_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();

        using var response = await device.SendRawAsync(Package1(device, device.NextSessionId()), "application/json");

        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, SyncMessage.ContentType);
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task BodyOverMaxMessageBytes_Is413_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        var padding = new SyncReplace { CmdId = "2", Items = [new SyncItem { Source = "./DevInfo/Lang", Data = new string('a', 5000) }] };

        using var response = await device.SendRawAsync(Package1(device, device.NextSessionId(), padding));

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than 4096 bytes");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task SyncHdrSourceNamingAnotherDevice_WithThisCertificate_Is403_Audited_NothingChanges()
    {
        var (device, _, _) = await DeviceWithALockQueuedAsync();
        var (other, _, otherLock) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();
        var message = new SyncMessage
        {
            Header = device.HeaderFor(device.NextSessionId(), 1) with { SourceLocUri = other.DeviceId },
            Commands = [new SyncAlert { CmdId = "1", Data = SyncAlertCodes.ClientInitiatedMgmt }],
            Final = true,
        };

        using var response = await device.SendRawAsync(message.Encode());

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "names a different device");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(otherLock); // the device it named gets nothing through it
    }

    // ---- The session's order: SessionID and MsgID ----

    /// <summary>Package 1 of a session that hands the queued lock out; returns the session id.</summary>
    private static async Task<string> LockHandedOutAsync(SimulatedWindowsDevice device, DeviceAction queued)
    {
        var sessionId = device.NextSessionId();
        using var response = await device.SendRawAsync(Package1(device, sessionId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = SyncMessage.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains(answer.Commands, c => c is SyncExec && c.CmdId == CommandRef.Of(queued.CommandId!.Value));
        return sessionId;
    }

    [Theory]
    [InlineData("wrong session", 2, "SessionID")]
    [InlineData("skipped message", 3, "MsgID 3 is not the next message")]
    public async Task Package2_WithAWrongSessionIdOrASkippedMsgId_Is400_AndItsReportIsNotRecorded(string what, int msgId, string reason)
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var sessionId = await LockHandedOutAsync(device, queued);
        var refusals = await RefusalsAsync();
        var sent = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Active, sent.State);

        var wrongSession = what == "wrong session" ? sessionId + "0" : sessionId;
        using var response = await device.SendRawAsync(Package(device, wrongSession, msgId, Ok(CommandRef.Of(queued.CommandId!.Value), msgRef: "1")));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, reason);
        Assert.Equal(refusals + 1, await RefusalsAsync());
        var after = await Server.ActionAsync(queued.Id);
        Assert.Equal((DeviceActionState.Active, sent.LastUpdatedAt), (after.State, after.LastUpdatedAt));
        Assert.Equal(CommandStatus.Sent, (await Server.CommandOfAsync(queued)).Status);

        // The session itself goes on: its real package 2 is recorded.
        using var real = await device.SendRawAsync(Package(device, sessionId, 2, Ok(CommandRef.Of(queued.CommandId!.Value))));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        Assert.Equal(DeviceActionState.Done, (await Server.ActionAsync(queued.Id)).State);
    }

    [Fact]
    public async Task Package2_Replayed_Is400_AndChangesNothing()
    {
        var (device, id, queued) = await DeviceWithALockQueuedAsync();
        var reset = await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        var sessionId = await LockHandedOutAsync(device, queued);
        var package2 = Package(device, sessionId, 2, Ok(CommandRef.Of(queued.CommandId!.Value)));
        using (var first = await device.SendRawAsync(package2))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var answer = SyncMessage.Decode(await first.Content.ReadAsByteArrayAsync());
            Assert.Contains(answer.Commands, c => c is SyncSequence && c.CmdId == CommandRef.Of(reset.CommandId!.Value)); // the session goes on
        }
        var done = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Done, done.State);
        var transitions = await Server.TransitionsOfAsync(queued.Id);
        var refusals = await RefusalsAsync();

        using var replayed = await device.SendRawAsync(package2);

        await AssertRefusedAsync(replayed, HttpStatusCode.BadRequest, "MsgID 2 is not the next message");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        Assert.Equal(done.LastUpdatedAt, (await Server.ActionAsync(queued.Id)).LastUpdatedAt);
        Assert.Equal(transitions, await Server.TransitionsOfAsync(queued.Id));
        Assert.Equal(DeviceActionState.Active, (await Server.ActionAsync(reset.Id)).State);
    }

    // ---- Reports on commands ----

    [Fact]
    public async Task StatusForACommandNeverSent_Alone_Is400_Audited_NothingChanges()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();

        using var response = await device.SendRawAsync(Package1(device, device.NextSessionId(), Ok(CommandRef.Of(Guid.NewGuid()))));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "never sent");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(queued);
    }

    [Fact]
    public async Task StatusForAnotherDevicesCommand_Is400_AndThatDeviceStillGetsIt()
    {
        var (device, _, ownLock) = await DeviceWithALockQueuedAsync();
        var (victim, _, victimLock) = await DeviceWithALockQueuedAsync();
        var refusals = await RefusalsAsync();

        using var response = await device.SendRawAsync(Package1(device, device.NextSessionId(), Ok(CommandRef.Of(victimLock.CommandId!.Value))));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "never sent");
        Assert.Equal(refusals + 1, await RefusalsAsync());
        await AssertUntouchedAsync(victimLock);
        await AssertUntouchedAsync(ownLock); // a refused message gets nothing
        await victim.SessionAsync();
        Assert.True(victim.Locked);
        Assert.Equal(DeviceActionState.Done, (await Server.ActionAsync(victimLock.Id)).State);
    }

    [Fact]
    public async Task ReplayedStatusForADoneCommand_Is200_AndChangesNothing()
    {
        var (device, _, queued) = await DeviceWithALockQueuedAsync();
        await device.SessionAsync();
        var done = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Done, done.State);
        var transitions = await Server.TransitionsOfAsync(queued.Id);
        var refusals = await RefusalsAsync();

        using var response = await device.SendRawAsync(Package1(device, device.NextSessionId(), Ok(CommandRef.Of(queued.CommandId!.Value))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await Server.ActionAsync(queued.Id);
        Assert.Equal((DeviceActionState.Done, done.LastUpdatedAt), (after.State, after.LastUpdatedAt));
        Assert.Equal(transitions, await Server.TransitionsOfAsync(queued.Id));
        Assert.Equal(CommandStatus.Acknowledged, (await Server.CommandOfAsync(queued)).Status);
        Assert.Equal(refusals, await RefusalsAsync());
    }

    // ---- Enrolments that ended ----

    [Fact]
    public async Task AfterAlert1226_TheCertificatesNextSessionIs403_AndNewActionsAreRefused()
    {
        var (device, id, queued) = await DeviceWithALockQueuedAsync();

        await device.UnenrollAsync(); // the package that says so gets no command: the queue is dropped
        var dropped = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Failed, dropped.State);
        Assert.Contains("left management", dropped.Reason, StringComparison.Ordinal);
        Assert.Equal(CommandStatus.Canceled, (await Server.CommandOfAsync(queued)).Status);
        var refusals = await RefusalsAsync();
        var session = await device.RunSessionAsync();

        Assert.False(session.Completed);
        Assert.Contains("403", session.Error, StringComparison.Ordinal);
        Assert.Contains("unenrolled", session.Error, StringComparison.Ordinal);
        Assert.Equal(refusals + 1, await RefusalsAsync());
        var action = await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Contains("left management", action.Reason, StringComparison.Ordinal);
        Assert.False(device.Locked);
    }

    [Fact]
    public async Task ReenrolmentOfTheSameHardwareBySameUser_SupersedesTheOldEnrolment_WhoseCertificateIs403()
    {
        var (old, id, queued) = await DeviceWithALockQueuedAsync();
        var again = await Server.NewDeviceAsync(WindowsScenarios.Phone81 with { DeviceId = old.DeviceId, HardwareId = old.HardwareId }, wakeOnPush: false);
        await again.EnrollAsync();
        Assert.NotEqual(old.Certificate!.Thumbprint, again.Certificate!.Thumbprint);
        var refusals = await RefusalsAsync();

        var refused = await old.RunSessionAsync();

        Assert.False(refused.Completed);
        Assert.Contains("403", refused.Error, StringComparison.Ordinal);
        Assert.Contains("replaced by a newer enrolment", refused.Error, StringComparison.Ordinal);
        Assert.Equal(refusals + 1, await RefusalsAsync());
        Assert.False(old.Locked);
        // The same device, enrolled anew, with a fresh queue: the lock asked for before is dropped, with its reason.
        Assert.Equal(id, await Server.DeviceIdOfAsync(again));
        var dropped = await Server.ActionAsync(queued.Id);
        Assert.Equal(DeviceActionState.Failed, dropped.State);
        Assert.Contains("enrolled again", dropped.Reason, StringComparison.Ordinal);
        var session = await again.SessionAsync();
        Assert.DoesNotContain(session.Commands, c => c.Target == WindowsCommandEncoder.LockUri);
        Assert.Contains(session.Commands, c => c.Name == "Get" && c.Target == "./DevDetail/SwV"); // its facts are asked for again
        Assert.False(again.Locked);
        var states = await Server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().Where(e => e.DeviceIdentifier == old.DeviceId)
            .OrderBy(e => e.EnrolledAt).Select(e => e.State).ToListAsync());
        Assert.Equal([Core.Enrollment.WindowsEnrollmentState.Superseded, Core.Enrollment.WindowsEnrollmentState.Enrolled], states);
    }
}
