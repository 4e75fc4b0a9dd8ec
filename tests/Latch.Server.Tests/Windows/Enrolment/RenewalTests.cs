using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Devices;
using Latch.Server.Windows.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary>Certificate renewal (RequestType Renew): the new PKCS#10 in a PKCS#7 signed with the certificate it renews.</summary>
public sealed class RenewalTests(WindowsEnrolmentServer server) : IClassFixture<WindowsEnrolmentServer>
{
    private static byte[] SignedRequest(byte[] pkcs10, X509Certificate2 certificate, RSA key)
    {
        using var withKey = certificate.HasPrivateKey ? X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null)
            : certificate.CopyWithPrivateKey(key);
        var cms = new SignedCms(new ContentInfo(pkcs10), detached: false);
        cms.ComputeSignature(new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, withKey) { IncludeOption = X509IncludeOption.EndCertOnly });
        return cms.Encode();
    }

    // As MS-MDE2's renewal example: the user's address with an empty password, the PKCS#7 as a wssecurity #PKCS7 token.
    private Task<HttpResponseMessage> RenewAsync(byte[] pkcs7, string valueType = EnrollmentSoap.Pkcs7SecurityValueType) =>
        server.PostSoapAsync(WindowsEnrollmentApi.EnrollmentPath, new RequestSecurityTokenRequest
        {
            MessageId = DeviceMessages.NewMessageId(), To = server.BaseUrl + "EnrollmentServer/Enrollment.svc",
            Credentials = new EnrollmentCredentials { Username = WindowsEnrolmentServer.Ada, Password = "" },
            RequestType = EnrollmentSoap.RenewRequestType, BinarySecurityTokenValueType = valueType, CertificateRequest = pkcs7,
            ContextItems = [new EnrollmentContextItem("DeviceType", "CIMClient_Windows")],
        }.Encode());

    [Theory]
    [InlineData(EnrollmentSoap.Pkcs7SecurityValueType)]
    [InlineData(EnrollmentSoap.Pkcs7ValueType)]
    public async Task TheDevice_RenewsWithItsCertificate_ForANewKey(string valueType)
    {
        using var key = RSA.Create(2048);
        var context = DeviceMessages.Context();
        using var old = (await server.EnrolAsync(await server.IssueCodeAsync(), key, context)).Certificate;
        var oldThumbprint = DeviceCertificateAuthority.Sha256Thumbprint(old);

        using var newKey = RSA.Create(2048);
        var response = await RenewAsync(SignedRequest(DeviceMessages.Pkcs10(newKey), old, key), valueType);

        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        var info = WindowsProvisioning.Read(RequestSecurityTokenResponse.Decode(body).ReadProvisioningDocument());
        using var renewed = X509CertificateLoader.LoadCertificate(info.DeviceCertificate!);
        Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), renewed.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(server.Authority.Issued(renewed, DateTimeOffset.UtcNow));

        var deviceId = DeviceMessages.ValueOf(context, "DeviceID");
        var enrollment = await server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.DeviceIdentifier == deviceId));
        Assert.Equal(DeviceCertificateAuthority.Sha256Thumbprint(renewed), enrollment.CertificateThumbprint);
        Assert.NotEqual(oldThumbprint, enrollment.CertificateThumbprint);
        Assert.Equal(oldThumbprint, enrollment.PreviousCertificateThumbprint);
    }

    [Fact]
    public async Task APkcs7SignedByACertificateTheCaDidNotIssue_IsRefused()
    {
        using var key = RSA.Create(2048);
        var context = DeviceMessages.Context();
        using var enrolled = (await server.EnrolAsync(await server.IssueCodeAsync(), key, context)).Certificate;
        // The same subject and key, but self-signed.
        using var impostor = new CertificateRequest(enrolled.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(30));

        var before = await server.CountsAsync();
        using var newKey = RSA.Create(2048);
        var response = await RenewAsync(SignedRequest(DeviceMessages.Pkcs10(newKey), impostor, key));
        var fault = await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
        Assert.Equal(EnrollmentErrorTypes.NotEligibleToRenew, fault.ErrorType);

        var deviceId = DeviceMessages.ValueOf(context, "DeviceID");
        var enrollment = await server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.DeviceIdentifier == deviceId));
        Assert.Equal(DeviceCertificateAuthority.Sha256Thumbprint(enrolled), enrollment.CertificateThumbprint);
        Assert.Null(enrollment.PreviousCertificateThumbprint);
    }

    [Fact]
    public async Task APkcs7ThatIsNotOne_IsACertificateRequestFault()
    {
        var before = await server.CountsAsync();
        var response = await RenewAsync(RandomNumberGenerator.GetBytes(200));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.CertificateRequest, before);
    }

    [Fact]
    public async Task ARenewalOfASupersededEnrolment_IsRefused()
    {
        var hardware = RandomNumberGenerator.GetHexString(64);
        using var key = RSA.Create(2048);
        using var first = (await server.EnrolAsync(await server.IssueCodeAsync(), key, DeviceMessages.Context(hardwareId: hardware))).Certificate;
        using var second = (await server.EnrolAsync(await server.IssueCodeAsync(), key, DeviceMessages.Context(hardwareId: hardware))).Certificate;

        var before = await server.CountsAsync();
        using var newKey = RSA.Create(2048);
        var response = await RenewAsync(SignedRequest(DeviceMessages.Pkcs10(newKey), first, key));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authorization, before);
    }
}
