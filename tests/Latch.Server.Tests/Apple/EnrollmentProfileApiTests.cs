using System.Net;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Enrollment;
using Latch.Devices.Apple;
using Latch.Server.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Apple;

/// <summary>Downloading an enrolment profile: who may, for whom, and what the profile points at.</summary>
public sealed class EnrollmentProfileApiTests : IAsyncLifetime
{
    private const string Path = "/v1.0/latch/enrollmentProfiles/apple";
    private AppleTestServer _server = null!;
    private string _adaToken = null!, _readOnlyToken = null!, _helpDeskToken = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AppleTestServer.StartAsync(withPush: false,
            new Dictionary<string, string?> { ["Apple:PublicUrl"] = "https://mdm.example.test/" });
        await using var scope = _server.App.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        // A token named after a user's userPrincipalName acts as that user (as /me does).
        _adaToken = (await tokens.IssueAsync(AppleTestServer.Ada, AdminRole.ReadOnly)).Secret;
        _readOnlyToken = (await tokens.IssueAsync("auditor", AdminRole.ReadOnly)).Secret;
        _helpDeskToken = (await tokens.IssueAsync("helpdesk", AdminRole.HelpDeskOperator)).Secret;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AUser_DownloadsTheirOwnProfile_SignedAndPointingAtThePublicUrl()
    {
        var response = await _server.App.ClientWith(_adaToken).GetAsync(Path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-apple-aspen-config", response.Content.Headers.ContentType?.MediaType);
        using var profile = AppleEnrollmentProfile.Read(await response.Content.ReadAsByteArrayAsync()); // verifies the CMS signature
        Assert.Equal(new Uri("https://mdm.example.test/mdm/apple/command"), profile.ServerUrl);
        Assert.Equal(new Uri("https://mdm.example.test/mdm/apple/checkin"), profile.CheckInUrl);
        Assert.Equal(AppleTestServer.Topic, profile.Topic);
        Assert.True(profile.SignMessage);
        Assert.Equal(4, profile.AccessRights & 4); // device lock and passcode removal

        var enrollment = await _server.DbAsync(db => db.AppleEnrollments.AsNoTracking().SingleAsync());
        Assert.Equal(AppleEnrollmentState.Issued, enrollment.State);
        Assert.Equal(Core.Demo.DemoFleet.Ada, enrollment.UserId);
        Assert.Equal(Latch.Server.Devices.DeviceCertificateAuthority.Sha256Thumbprint(profile.Identity), enrollment.CertificateThumbprint);
        Assert.True(await _server.DbAsync(db => db.AuditEvents.AnyAsync(e => e.Kind == AuditKinds.EnrollmentProfileIssued)));
    }

    [Fact]
    public async Task EachDownload_HasItsOwnIdentity()
    {
        using var first = AppleEnrollmentProfile.Read(await _server.DownloadProfileAsync(AppleTestServer.Ada));
        using var second = AppleEnrollmentProfile.Read(await _server.DownloadProfileAsync(AppleTestServer.Ada));
        Assert.NotEqual(first.Identity.Thumbprint, second.Identity.Thumbprint);
    }

    [Fact]
    public async Task AReadOnlyUser_CannotDownloadForSomeoneElse_403()
    {
        var response = await _server.App.ClientWith(_adaToken).GetAsync($"{Path}?user={AppleTestServer.Grace}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await _server.DbAsync(db => db.AppleEnrollments.CountAsync()));
    }

    [Fact]
    public async Task HelpDesk_DownloadsForAUser()
    {
        var response = await _server.App.ClientWith(_helpDeskToken).GetAsync($"{Path}?user={AppleTestServer.Grace}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AnIdentityThatIsNoUser_WithoutUser_Is404_SayingWhy()
    {
        var response = await _server.App.ClientWith(_readOnlyToken).GetAsync(Path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not a Latch user", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownUser_Is404_Anonymous_Is401()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Admin.GetAsync($"{Path}?user=nobody@example.test")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.App.ClientWith(null).GetAsync($"{Path}?user={AppleTestServer.Ada}")).StatusCode);
    }

    [Fact]
    public async Task ForAKnownNonAppleDevice_Is400()
    {
        var android = await _server.DbAsync(db => db.Devices.Where(d => d.Platform == Core.Devices.Platform.Android).Select(d => d.Id).FirstAsync());
        var response = await _server.Admin.GetAsync($"{Path}?user={AppleTestServer.Ada}&device={android}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Apple enrolment profiles are for", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForAKnownAppleDevice_TheEnrolledDeviceIsThatDevice()
    {
        var demoPhone = await _server.DbAsync(db => db.Devices.Where(d => d.Name == "Ada's iPhone 15").Select(d => d.Id).SingleAsync());
        var response = await _server.Admin.GetAsync($"{Path}?user={AppleTestServer.Ada}&device={demoPhone}");
        var device = new SimulatedAppleDevice(await response.Content.ReadAsByteArrayAsync(), AppleDeviceKind.IPhone, _server.App.CreateClient());

        // The profile says https://mdm.example.test; in memory, send to the test server at the same paths.
        var checkin = new Uri(_server.App.Server.BaseAddress, device.Profile.CheckInUrl.AbsolutePath);
        var answer = await device.SendRawAsync(checkin, Latch.Protocols.Apple.CheckinMessage.ContentType, device.CreateAuthenticateMessage());

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(demoPhone, await _server.DeviceIdOfAsync(device));
        device.Dispose();
    }
}
