using System.Net;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Enrollment;
using Latch.Core.Rules;
using Latch.Devices.Apple;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// A device identity never takes over another user's device: a fresh identity binds to a UDID Latch knows only when its
/// profile was issued for that device or for its owner, and an identity that checked out needs a new profile. Each test
/// enrols devices of its own on one shared server.
/// </summary>
public sealed class EnrolmentTakeoverTests(EnrolmentTakeoverTests.Server fixture) : IClassFixture<EnrolmentTakeoverTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        public AppleTestServer Apple { get; private set; } = null!;
        public string AdaReadOnlyToken { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Apple = await AppleTestServer.StartAsync(withPush: false);
            await using var scope = Apple.App.Services.CreateAsyncScope();
            AdaReadOnlyToken = (await scope.ServiceProvider.GetRequiredService<ApiTokens>().IssueAsync(AppleTestServer.Ada, AdminRole.ReadOnly)).Secret;
        }

        public async ValueTask DisposeAsync() => await Apple.DisposeAsync();
    }

    private AppleTestServer Apple => fixture.Apple;

    // Ada, a Read Only account, downloads her own profile, as any user may.
    private async Task<SimulatedAppleDevice> AdasOwnProfileNamingAsync(string udid)
    {
        var response = await Apple.App.ClientWith(fixture.AdaReadOnlyToken).GetAsync("/v1.0/latch/enrollmentProfiles/apple");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new SimulatedAppleDevice(await response.Content.ReadAsByteArrayAsync(), AppleDeviceKind.IPhone, Apple.App.CreateClient(),
            new SimulatedAppleDeviceOptions { Udid = udid });
    }

    private Task<Guid> UserIdAsync(string upn) => Apple.DbAsync(db => db.Users.Where(u => u.UserPrincipalName == upn).Select(u => u.Id).SingleAsync());

    [Fact]
    public async Task AnotherUsersProfile_NamingAKnownDevicesUdid_IsRefused_AndNothingChanges()
    {
        var victim = await Apple.EnrolledDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace);
        var deviceId = await Apple.DeviceIdOfAsync(victim);
        using var attacker = await AdasOwnProfileNamingAsync(victim.Udid);

        var refused = await Assert.ThrowsAsync<AppleMdmRequestException>(() => attacker.EnrollAsync());
        Assert.Equal(HttpStatusCode.BadRequest, refused.Error!.StatusCode);
        Assert.Contains("enrolled for another user", refused.Error.Message);

        // The victim's enrolment and device are as they were, and the refusal is in the audit trail.
        var grace = await UserIdAsync(AppleTestServer.Grace);
        Assert.Equal(grace, await Apple.DbAsync(db => db.Devices.Where(d => d.Id == deviceId).Select(d => d.OwnerId).SingleAsync()));
        var enrollments = await Apple.DbAsync(db => db.AppleEnrollments.AsNoTracking().Where(e => e.Udid == victim.Udid).ToListAsync());
        Assert.Equal(AppleEnrollmentState.Enrolled, Assert.Single(enrollments).State);
        Assert.True(await Apple.DbAsync(db => db.AuditEvents.AnyAsync(a =>
            a.Kind == AuditKinds.DeviceRequestRefused && a.DeviceId == null && a.Detail!.Contains("enrolled for another user"))));

        // The real device still works, and an administrator's lock reaches it, not the attacker.
        Assert.Equal(HttpStatusCode.NoContent,
            (await Apple.Admin.PostAsync($"/v1.0/deviceManagement/managedDevices/{deviceId}/remoteLock", null)).StatusCode);
        var session = await victim.RunSessionAsync();
        Assert.True(session.Completed, session.Error?.ToString());
        Assert.Contains(session.Commands, c => c.RequestType == "DeviceLock");
        Assert.Equal(Core.Actions.DeviceActionState.Done, (await Apple.ActionWhenFinishedAsync(deviceId, RemoteAction.RemoteLock)).State);
        var stranger = await attacker.SendRawAsync(attacker.Profile.ServerUrl, Latch.Protocols.Apple.CommandResponse.ContentType,
            attacker.CreateIdleReport());
        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);
    }

    [Fact]
    public async Task AProfileAnAdministratorIssuedForTheDevice_MayEnrolItForAnotherUser()
    {
        var graces = await Apple.EnrolledDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace);
        var deviceId = await Apple.DeviceIdOfAsync(graces);

        var response = await Apple.Admin.GetAsync($"/v1.0/latch/enrollmentProfiles/apple?user={AppleTestServer.Ada}&device={deviceId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var handedOver = new SimulatedAppleDevice(await response.Content.ReadAsByteArrayAsync(), AppleDeviceKind.IPhone,
            Apple.App.CreateClient(), new SimulatedAppleDeviceOptions { Udid = graces.Udid });
        await handedOver.EnrollAsync();

        Assert.Equal(await UserIdAsync(AppleTestServer.Ada),
            await Apple.DbAsync(db => db.Devices.Where(d => d.Id == deviceId).Select(d => d.OwnerId).SingleAsync()));
        Assert.Equal(deviceId, await Apple.DeviceIdOfAsync(handedOver));
    }

    [Fact]
    public async Task ANewProfileOfTheSameOwner_EnrolsTheDeviceAgain()
    {
        var first = await Apple.EnrolledDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace);
        var deviceId = await Apple.DeviceIdOfAsync(first);

        var again = await Apple.NewDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace, new SimulatedAppleDeviceOptions { Udid = first.Udid });
        await again.EnrollAsync();

        Assert.Equal(deviceId, await Apple.DeviceIdOfAsync(again));
    }

    [Fact]
    public async Task AnIdentityThatCheckedOut_DoesNotEnrolAgain_ANewProfileDoes()
    {
        var phone = await Apple.EnrolledDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace);
        var deviceId = await Apple.DeviceIdOfAsync(phone);
        await phone.CheckOutAsync();

        var refused = await Assert.ThrowsAsync<AppleMdmRequestException>(() => phone.EnrollAsync());
        Assert.Equal(HttpStatusCode.BadRequest, refused.Error!.StatusCode);
        Assert.Contains("checked out", refused.Error.Message);
        Assert.NotNull(await Apple.DbAsync(db => db.Devices.Where(d => d.Id == deviceId).Select(d => d.UnenrolledAt).SingleAsync()));

        var reinstalled = await Apple.NewDeviceAsync(AppleDeviceKind.IPhone, AppleTestServer.Grace, new SimulatedAppleDeviceOptions { Udid = phone.Udid });
        await reinstalled.EnrollAsync();
        Assert.Null(await Apple.DbAsync(db => db.Devices.Where(d => d.Id == deviceId).Select(d => d.UnenrolledAt).SingleAsync()));
    }
}
