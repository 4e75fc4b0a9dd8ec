using System.Net;
using System.Security.Cryptography;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Devices;
using Latch.Server.Windows.Enrollment;
using Latch.Server.Windows.Mdm;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary>MS-MDE2 OnPremise: GetPolicies and RequestSecurityToken with the user's address and an enrolment code.</summary>
public sealed class OnPremiseEnrolmentTests(WindowsEnrolmentServer server) : IClassFixture<WindowsEnrolmentServer>
{
    [Fact]
    public async Task GetPolicies_WithTheCode_AnswersThePolicy_AndDoesNotUseTheCode()
    {
        var code = await server.IssueCodeAsync();
        var policy = await server.GetPoliciesAsync(DeviceMessages.OnPremise(code));
        Assert.Equal(2048, policy.MinimalKeyLength);
        Assert.Equal(GetPoliciesResponse.Sha256Oid, policy.HashAlgorithmOid);
        Assert.Null(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));
    }

    [Fact]
    public async Task GetPolicies_WithAWrongCode_IsAnAuthenticationFault()
    {
        var code = await server.IssueCodeAsync();
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.PolicyPath,
            DeviceMessages.GetPolicies(server.BaseUrl, new EnrollmentCredentials { Username = code.UserPrincipalName, Password = "0000-0000-0000-0000" }));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
    }

    [Fact]
    public async Task TheDevice_Enrols_WithItsOwnKey_AndIsManagedAsWindows10Mobile()
    {
        var code = await server.IssueCodeAsync(WindowsEnrolmentServer.Ada);
        await server.GetPoliciesAsync(DeviceMessages.OnPremise(code));
        using var key = RSA.Create(2048);
        var context = DeviceMessages.Context(deviceName: "Ada's Lumia 950");

        var enrolled = await server.EnrolAsync(code, key, context);

        // The provisioning document: the device CA as root, a certificate for the device's own key that the CA signed, the DM address.
        var authority = server.Authority;
        Assert.Equal(authority.Certificate.RawData, enrolled.Provisioning.RootCertificate);
        using var certificate = enrolled.Certificate;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(authority.Issued(certificate, DateTimeOffset.UtcNow));
        Assert.Equal(server.BaseUrl + "ManagementServer/MDM.svc", enrolled.Provisioning.ManagementUrl);
        Assert.Equal(certificate.Thumbprint, enrolled.Provisioning.DeviceThumbprint, ignoreCase: true); // named by SHA-1, as MS-MDE2 §3.4.4.2 shows

        var deviceId = DeviceMessages.ValueOf(context, "DeviceID");
        var enrollment = await server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.DeviceIdentifier == deviceId));
        Assert.Equal(DeviceMessages.ValueOf(context, "HWDevID"), enrollment.HardwareId);
        Assert.Equal(DeviceCertificateAuthority.Sha256Thumbprint(certificate), enrollment.CertificateThumbprint);
        Assert.Equal(WindowsEnrollmentState.Enrolled, enrollment.State);
        Assert.Equal(code.Id, enrollment.EnrollmentCodeId);

        var device = await server.DbAsync(db => db.Devices.AsNoTracking().SingleAsync(d => d.Id == enrollment.DeviceId));
        Assert.Equal(Platform.Windows10Mobile, device.Platform);
        Assert.Equal((10, 0, 15063), (device.OsVersion.Major, device.OsVersion.Minor, device.OsVersion.Build));
        Assert.True(device.AzureAdJoined);
        Assert.Equal(Core.Demo.DemoFleet.Ada, device.OwnerId);
        Assert.Equal("windows", device.EnrolledThrough);
        Assert.Equal("Ada's Lumia 950", device.Name);
        var commands = await server.DbAsync(db => db.Commands.AsNoTracking().Where(c => c.DeviceId == device.Id).ToListAsync());
        Assert.Contains(commands, c => c.Type == CommandTypes.QueryDeviceInformation && c.Status == CommandStatus.Queued);

        Assert.NotNull(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));
    }

    public static TheoryData<string, string, string, string, string, Platform, bool> SpecPlatforms => new()
    {
        { "Windows Phone 8.1", "8.10.14219", "", "WindowsPhone", "Full", Platform.WindowsPhone81, false },
        { "Windows 8.1", "6.3.9600", "4", "CIMClient_Windows", "Full", Platform.Windows81, false },
        { "Windows RT", "6.3.9600", "97", "CIMClient_Windows", "Full", Platform.WindowsRT, false },
        { "Windows 10 desktop", "10.0.19045.2006", "48", "CIMClient_Windows", "Device", Platform.Windows10Desktop, true },
        { "Windows 10 Mobile, not Azure AD joined", "10.0.15063.0", "104", "WindowsPhone", "Full", Platform.Windows10Mobile, false },
    };

    [Theory]
    [MemberData(nameof(SpecPlatforms))]
    public async Task EachSpecPlatform_IsRecognisedFromItsEnrolment(string name, string osVersion, string osEdition, string deviceType,
        string enrollmentType, Platform platform, bool azureAdJoined)
    {
        var code = await server.IssueCodeAsync(WindowsEnrolmentServer.Grace);
        using var key = RSA.Create(2048);
        var context = DeviceMessages.Context(osVersion: osVersion, osEdition: osEdition, deviceType: deviceType, enrollmentType: enrollmentType,
            deviceName: name);
        if (osEdition.Length == 0) context.RemoveAll(i => i.Name == "OSEdition"); // Windows Phone 8.1 predates it

        using var certificate = (await server.EnrolAsync(code, key, context)).Certificate;

        var deviceId = DeviceMessages.ValueOf(context, "DeviceID");
        var device = await server.DbAsync(db => db.WindowsEnrollments.Where(e => e.DeviceIdentifier == deviceId)
            .Join(db.Devices, e => e.DeviceId, d => d.Id, (e, d) => d).AsNoTracking().SingleAsync());
        Assert.Equal(platform, device.Platform);
        Assert.Equal(azureAdJoined, device.AzureAdJoined);
        Assert.True(OsVersion.TryParse(osVersion, out var expected));
        Assert.Equal((expected.Major, expected.Minor, expected.Build), (device.OsVersion.Major, device.OsVersion.Minor, device.OsVersion.Build));
        Assert.Equal(Core.Demo.DemoFleet.Grace, device.OwnerId);
    }

    [Fact]
    public async Task TheSameUsersSecondEnrolment_OfTheSameHardware_SupersedesTheFirst()
    {
        var hardware = RandomNumberGenerator.GetHexString(64);
        using var firstKey = RSA.Create(2048);
        using var secondKey = RSA.Create(2048);
        var firstContext = DeviceMessages.Context(hardwareId: hardware);
        using var first = (await server.EnrolAsync(await server.IssueCodeAsync(), firstKey, firstContext)).Certificate;
        var secondContext = DeviceMessages.Context(hardwareId: hardware); // reset: a new DeviceID, the same hardware
        using var second = (await server.EnrolAsync(await server.IssueCodeAsync(), secondKey, secondContext)).Certificate;

        var enrollments = (await server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().Where(e => e.HardwareId == hardware).ToListAsync()))
            .OrderBy(e => e.EnrolledAt).ToList();
        Assert.Equal(2, enrollments.Count);
        Assert.Equal(WindowsEnrollmentState.Superseded, enrollments[0].State);
        Assert.NotNull(enrollments[0].EndedAt);
        Assert.Equal(WindowsEnrollmentState.Enrolled, enrollments[1].State);
        Assert.Equal(DeviceCertificateAuthority.Sha256Thumbprint(second), enrollments[1].CertificateThumbprint);
        Assert.Equal(enrollments[0].DeviceId, enrollments[1].DeviceId); // the same device, enrolled again
    }
}
