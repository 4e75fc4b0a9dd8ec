using System.Text.Json;
using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Latch.Devices.Windows;
using Latch.Server.Windows.Mdm;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Windows.Mdm;

public sealed class WindowsSpecRowsOnSqliteServer() : WindowsServerFixture(withPush: false);

public sealed class WindowsSpecRowsOnPostgresServer() : WindowsServerFixture(withPush: false, backend: PostgresBackend.Instance);

public sealed class WindowsSpecRowsOnSqlite(WindowsSpecRowsOnSqliteServer fixture) : WindowsSpecRowsTests(fixture), IClassFixture<WindowsSpecRowsOnSqliteServer>;

public sealed class WindowsSpecRowsOnPostgres(WindowsSpecRowsOnPostgresServer fixture) : WindowsSpecRowsTests(fixture), IClassFixture<WindowsSpecRowsOnPostgresServer>;

/// <summary>
/// Every Windows row of SPEC §2 (remote lock) and §3 (passcode reset), end to end: a simulated device of the row's
/// kind enrols through MS-MDE2, the action is asked for through the Graph API, the device runs its OMA-DM session,
/// and both the action's record and the device's own state say what the row says. Without WNS: every command
/// reaches the device at its next session. On SQLite and PostgreSQL.
/// </summary>
public abstract class WindowsSpecRowsTests(WindowsServerFixture fixture)
{
    private WindowsTestServer Server => fixture.Server;

    private static SimulatedWindowsDeviceOptions Kind(WindowsDeviceKind kind) => new() { Kind = kind, EcdsaKey = true };

    private async Task<DeviceAction> LockedThroughASessionAsync(SimulatedWindowsDevice device, Guid deviceId)
    {
        var requested = await Server.RequestedAsync(deviceId, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Pending, requested.State);
        var session = await device.SessionAsync();
        Assert.Contains(session.Commands, c => c.Name == "Exec" && c.Target == WindowsCommandEncoder.LockUri && c.CmdId == CommandRef.Of(requested.CommandId!.Value));
        return await Server.LatestActionAsync(deviceId, RemoteAction.RemoteLock);
    }

    private static void AssertRefused(DeviceAction action, string reason)
    {
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Null(action.CommandId); // refused by the rules: nothing queued, nothing sent
        Assert.Contains(reason, action.Reason, StringComparison.Ordinal);
    }

    // ---- Windows 10 Mobile ----

    [Fact]
    public async Task RemoteLock_Windows10Mobile_IsDone_AndTheDeviceIsLocked()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile);

        var action = await LockedThroughASessionAsync(device, id);

        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.True(device.Locked);
        Assert.Equal(1, device.Locks);
        Assert.Equal("1234", device.Pin); // a lock keeps the user's PIN
    }

    [Fact]
    public async Task ResetPasscode_Windows10Mobile15063AzureAdJoined_IsDone_ThePinComesFromNewPINValue_ReadOnce()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile);
        var requested = await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Pending, requested.State);

        // Until the device has made and returned its PIN there is nothing to show: the action is pending, with no passcode.
        var before = await DeviceActionResultAsync(id);
        Assert.Equal("#microsoft.graph.resetPasscodeActionResult", before.GetProperty("@odata.type").GetString());
        Assert.Equal("pending", before.GetProperty("actionState").GetString());
        Assert.False(before.TryGetProperty("passcode", out _));

        var session = await device.SessionAsync();

        var commandId = requested.CommandId!.Value;
        var sequence = Assert.Single(session.Commands, c => c.Name == "Sequence");
        Assert.Equal(CommandRef.Of(commandId), sequence.CmdId);
        var reset = Assert.Single(session.Commands, c => c.Target == WindowsCommandEncoder.LockAndResetPinUri);
        Assert.Equal(("Exec", CommandRef.Of(commandId, CommandRef.ResetPart), "200"), (reset.Name, reset.CmdId, reset.Status));
        var read = Assert.Single(session.Commands, c => c.Target == WindowsCommandEncoder.NewPinValueUri);
        Assert.Equal(("Get", "new PIN returned"), (read.Name, read.Answer));

        var done = await Server.LatestActionAsync(id, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Done, done.State);
        Assert.True(device.Locked);
        Assert.NotNull(device.Pin);
        Assert.NotEqual("1234", device.Pin);
        Assert.NotNull(done.ProtectedPasscode);
        Assert.DoesNotContain(device.Pin!, done.ProtectedPasscode!, StringComparison.Ordinal); // kept encrypted
        await using (var scope = Server.App.Services.CreateAsyncScope())
            Assert.Equal(device.Pin, await scope.ServiceProvider.GetRequiredService<DeviceActions>().RevealPasscodeAsync(done.Id, "admin@test"));

        // Once the device has it, an Administrator sees it in Graph's deviceActionResults.
        var after = await DeviceActionResultAsync(id);
        Assert.Equal("resetPasscode", after.GetProperty("actionName").GetString());
        Assert.Equal("done", after.GetProperty("actionState").GetString());
        Assert.Equal(device.Pin, after.GetProperty("passcode").GetString());

        // NewPINValue is read once: the next session asks for nothing again.
        var next = await device.SessionAsync();
        Assert.DoesNotContain(next.Commands, c => c.Target is WindowsCommandEncoder.NewPinValueUri or WindowsCommandEncoder.LockAndResetPinUri);
    }

    [Fact]
    public async Task ResetPasscode_PutOffWith417_IsNotNow_AndTheWholeSequenceIsSentAgainAtTheNextSession()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile);
        var requested = await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        device.RetryLater(); // the LockAndResetPIN is answered 417, so no PIN is made

        var putOff = await device.SessionAsync();

        Assert.Equal("417", Assert.Single(putOff.Commands, c => c.Target == WindowsCommandEncoder.LockAndResetPinUri).Status);
        // The Get right after it finds no new PIN: NewPINValue has a value only after a LockAndResetPIN, and only once.
        Assert.Equal("no new PIN", Assert.Single(putOff.Commands, c => c.Target == WindowsCommandEncoder.NewPinValueUri).Answer);
        var deferred = await Server.LatestActionAsync(id, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Pending, deferred.State);
        Assert.Null(deferred.ProtectedPasscode);
        Assert.Equal(CommandStatus.NotNow, (await Server.CommandOfAsync(requested)).Status);
        Assert.Equal("1234", device.Pin);

        var again = await device.SessionAsync();

        Assert.Equal("200", Assert.Single(again.Commands, c => c.Target == WindowsCommandEncoder.LockAndResetPinUri).Status);
        var done = await Server.LatestActionAsync(id, RemoteAction.ResetPasscode);
        Assert.Equal(DeviceActionState.Done, done.State);
        await using var scope = Server.App.Services.CreateAsyncScope();
        Assert.Equal(device.Pin, await scope.ServiceProvider.GetRequiredService<DeviceActions>().RevealPasscodeAsync(done.Id, "admin@test"));
    }

    private async Task<JsonElement> DeviceActionResultAsync(Guid deviceId)
    {
        var json = JsonDocument.Parse(await Server.Admin.GetStringAsync($"/v1.0/deviceManagement/managedDevices/{deviceId}")).RootElement;
        return json.GetProperty("deviceActionResults").EnumerateArray().Single(r => r.GetProperty("actionName").GetString() == "resetPasscode");
    }

    [Fact]
    public async Task ResetPasscode_Windows10MobileBefore15063_IsRefusedWithTheBuild_LockIsDone()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile with { OsVersion = "10.0.15062.0" });

        var reset = await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        var locked = await LockedThroughASessionAsync(device, id);

        AssertRefused(reset, "from the Creators Update (build 15063) on; this device runs build 15062");
        Assert.Equal(DeviceActionState.Done, locked.State);
        Assert.True(device.Locked);
        Assert.Equal("1234", device.Pin);
    }

    [Fact]
    public async Task ResetPasscode_Windows10MobileNotAzureAdJoined_IsRefused_LockIsDone()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile with { AzureAdJoined = false });

        var reset = await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        var locked = await LockedThroughASessionAsync(device, id);

        AssertRefused(reset, "only on Azure AD joined devices");
        Assert.Equal(DeviceActionState.Done, locked.State);
        Assert.True(device.Locked);
    }

    // ---- Windows Phone 8.1 ----

    [Fact]
    public async Task RemoteLockAndResetPasscode_WindowsPhone81_AreDone()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Phone81);

        var locked = await LockedThroughASessionAsync(device, id);
        Assert.Equal(DeviceActionState.Done, locked.State);
        Assert.Equal("1234", device.Pin);

        await Server.RequestedAsync(id, RemoteAction.ResetPasscode);
        await device.SessionAsync();
        var reset = await Server.LatestActionAsync(id, RemoteAction.ResetPasscode);

        Assert.Equal(DeviceActionState.Done, reset.State);
        Assert.Equal(2, device.Locks);
        Assert.Matches("^[0-9]{8}$", device.Pin);
        await using var scope = Server.App.Services.CreateAsyncScope();
        Assert.Equal(device.Pin, await scope.ServiceProvider.GetRequiredService<DeviceActions>().RevealPasscodeAsync(reset.Id, "admin@test"));
    }

    // ---- Windows RT / RT 8.1 and Windows 8.1: only while the enrolling user is signed in ----

    [Theory]
    [InlineData(WindowsDeviceKind.WindowsRT, Platform.WindowsRT)]
    [InlineData(WindowsDeviceKind.Windows81, Platform.Windows81)]
    public async Task RemoteLock_WindowsRTOr81_WhileTheEnrollingUserIsSignedIn_IsDone(WindowsDeviceKind kind, Platform platform)
    {
        var (device, id) = await Server.EnrolledAsync(Kind(kind));
        Assert.Equal(platform, (await DeviceAsync(id)).Platform);

        var action = await LockedThroughASessionAsync(device, id);

        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.True(device.Locked);
    }

    [Theory]
    [InlineData(WindowsDeviceKind.WindowsRT, Platform.WindowsRT, "others", "another user is signed in now.")]
    [InlineData(WindowsDeviceKind.Windows81, Platform.Windows81, "others", "another user is signed in now.")]
    [InlineData(WindowsDeviceKind.WindowsRT, Platform.WindowsRT, "none", "nobody is signed in now.")]
    [InlineData(WindowsDeviceKind.Windows81, Platform.Windows81, "none", "nobody is signed in now.")]
    public async Task RemoteLock_WindowsRTOr81_WhenLoginStatusSaysSomeoneElseOrNobody_IsRefused(
        WindowsDeviceKind kind, Platform platform, string signedIn, string why)
    {
        var (device, id) = await Server.EnrolledAsync(Kind(kind));
        device.SignedIn = signedIn;
        await device.SessionAsync(); // Alert 1224 LoginStatus reaches the server

        var action = await Server.RequestedAsync(id, RemoteAction.RemoteLock);

        AssertRefused(action, $"{platform.DisplayName()} devices can be locked only while the user who enrolled them is signed in; {why}");
        Assert.False(device.Locked);
    }

    [Theory]
    [InlineData(WindowsDeviceKind.WindowsRT, Platform.WindowsRT)]
    [InlineData(WindowsDeviceKind.Windows81, Platform.Windows81)]
    public async Task RemoteLock_WindowsRTOr81_QueuedWhileTheUserWasSignedIn_IsWithdrawnWhenTheNextSessionSaysOthers(WindowsDeviceKind kind, Platform platform)
    {
        var (device, id) = await Server.EnrolledAsync(Kind(kind));
        var requested = await Server.RequestedAsync(id, RemoteAction.RemoteLock);
        Assert.Equal(DeviceActionState.Pending, requested.State);

        device.SignedIn = "others";
        var session = await device.SessionAsync();

        // The rules run again at delivery, on the facts the session's own package 1 brought.
        Assert.DoesNotContain(session.Commands, c => c.Target == WindowsCommandEncoder.LockUri);
        Assert.False(device.Locked);
        var withdrawn = await Server.LatestActionAsync(id, RemoteAction.RemoteLock);
        Assert.Equal(requested.Id, withdrawn.Id);
        Assert.Equal(DeviceActionState.NotSupported, withdrawn.State);
        Assert.Contains($"{platform.DisplayName()} devices can be locked only while the user who enrolled them is signed in; another user is signed in now.",
            withdrawn.Reason, StringComparison.Ordinal);
        Assert.NotEqual(CommandStatus.Sent, (await Server.CommandOfAsync(requested)).Status);
    }

    [Theory]
    [InlineData(WindowsDeviceKind.WindowsRT, Platform.WindowsRT)]
    [InlineData(WindowsDeviceKind.Windows81, Platform.Windows81)]
    public async Task ResetPasscode_WindowsRTOr81_IsRefused_EvenWithTheUserSignedIn(WindowsDeviceKind kind, Platform platform)
    {
        var (_, id) = await Server.EnrolledAsync(Kind(kind));

        AssertRefused(await Server.RequestedAsync(id, RemoteAction.ResetPasscode), $"Passcode reset is not supported on {platform.DisplayName()}.");
    }

    // ---- Windows 10 desktop ----

    [Fact]
    public async Task RemoteLockAndResetPasscode_Windows10Desktop_AreRefusedWithTheirReasons()
    {
        var (device, id) = await Server.EnrolledAsync(Kind(WindowsDeviceKind.Windows10Desktop));
        Assert.Equal(Platform.Windows10Desktop, (await DeviceAsync(id)).Platform);

        AssertRefused(await Server.RequestedAsync(id, RemoteAction.RemoteLock), "Remote lock is not supported on Windows 10 desktop.");
        AssertRefused(await Server.RequestedAsync(id, RemoteAction.ResetPasscode), $"Passcode reset is not supported on {Platform.Windows10Desktop.DisplayName()}.");
        await device.SessionAsync();
        Assert.False(device.Locked);
    }

    // ---- The PIN the lock needs ----

    [Fact]
    public async Task RemoteLock_DeviceWithoutAPin_IsSent_TheDeviceAnswers405_ActionFailedNamingThePin()
    {
        var (device, id) = await Server.EnrolledAsync(WindowsScenarios.Mobile with { PinSet = false });

        var action = await LockedThroughASessionAsync(device, id);

        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Contains("no PIN set", action.Reason, StringComparison.Ordinal);
        Assert.Contains("405", action.Reason, StringComparison.Ordinal);
        Assert.False(device.Locked);
    }

    // ---- What the device says about itself ----

    [Theory]
    [InlineData(WindowsDeviceKind.Windows10Mobile, Platform.Windows10Mobile, "10.0.15063.0", "Microsoft", "Lumia 950")]
    [InlineData(WindowsDeviceKind.WindowsPhone81, Platform.WindowsPhone81, "8.10.14219.341", "Nokia", "Lumia 930")]
    [InlineData(WindowsDeviceKind.Windows10Desktop, Platform.Windows10Desktop, "10.0.19045.0", "Microsoft", "Surface Laptop 3")]
    public async Task Enrolment_TheDevDetailQuery_FillsInTheDevicesFacts(WindowsDeviceKind kind, Platform platform, string osVersion, string maker, string model)
    {
        var device = await Server.NewDeviceAsync(Kind(kind) with { DeviceName = $"Ada's {kind}" }, wakeOnPush: false);
        await device.EnrollAsync();
        var first = await device.SessionAsync();
        var id = await Server.DeviceIdOfAsync(device);

        var query = Assert.Single(await Server.DbAsync(db => db.Commands.AsNoTracking()
            .Where(c => c.DeviceId == id && c.Type == CommandTypes.QueryDeviceInformation).ToListAsync()));
        Assert.Equal(CommandStatus.Acknowledged, query.Status);
        var get = Assert.Single(first.Commands, c => c.CmdId == CommandRef.Of(query.Id));
        Assert.Equal(("Get", "./DevDetail/SwV", "200"), (get.Name, get.Target, get.Status));

        var record = await DeviceAsync(id);
        Assert.Equal(platform, record.Platform);
        Assert.Equal(osVersion, record.OsVersion.ToString());
        Assert.Equal(maker, record.Manufacturer);
        Assert.Equal(model, record.Model);
        Assert.Equal($"Ada's {kind}", record.Name);
        Assert.Equal(WindowsTestServer.Ada, record.Owner!.UserPrincipalName);
        Assert.Equal(ManagementChannel.DirectMdm, record.Channel);
    }

    private Task<Device> DeviceAsync(Guid id) => Server.DbAsync(db => db.Devices.AsNoTracking().Include(d => d.Owner).SingleAsync(d => d.Id == id));
}
