using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;

namespace Latch.Server.Tests.Apple;

public sealed class MdmSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
        <plist version="1.0">
        <dict>
        	<key>MessageType</key>
        	<string>Authenticate</string>
        	<key>Topic</key>
        	<string>com.apple.mgmt.External.4c7cea50-9775-40c0-9f78-a3f41cb0b03a</string>
        	<key>UDID</key>
        	<string>00008030-001A2B3C4D5E6F70</string>
        </dict>
        </plist>
        """);

    private static DeviceCertificateAuthority Ca => TestAuthorities.Shared;

    /// <summary>What a device puts in the header: a detached CMS over the body, SHA-256, its certificate included.</summary>
    private static string SignAsDevice(
        byte[] body, X509Certificate2 certificate, bool detached = true, X509IncludeOption include = X509IncludeOption.EndCertOnly,
        SubjectIdentifierType identifiedBy = SubjectIdentifierType.IssuerAndSerialNumber, X509Certificate2? alsoInclude = null)
    {
        var cms = new SignedCms(new ContentInfo(body), detached);
        var signer = new CmsSigner(identifiedBy, certificate)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), // SHA-256
            IncludeOption = include,
        };
        cms.ComputeSignature(signer, silent: true);
        if (alsoInclude is not null) cms.AddCertificate(alsoInclude);
        return Convert.ToBase64String(cms.Encode());
    }

    [Theory]
    [InlineData(DeviceKeyAlgorithm.Rsa2048)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256)]
    public void DeviceSignature_OverTheBody_VerifiesAndNamesTheSigner(DeviceKeyAlgorithm algorithm)
    {
        var identity = Ca.IssueDeviceIdentity("device", algorithm);

        Assert.True(MdmSignature.TryVerify(Body, SignAsDevice(Body, identity.Certificate), out var signer, out var error), error);

        Assert.Null(error);
        Assert.Equal(identity.Certificate.RawData, signer.RawData);
        Assert.Equal(identity.Sha256Thumbprint, DeviceCertificateAuthority.Sha256Thumbprint(signer));
        Assert.True(Ca.Issued(signer, TestAuthorities.Start));
    }

    [Fact]
    public void BodyChangedByOneByte_IsRefused()
    {
        var identity = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);
        var header = SignAsDevice(Body, identity.Certificate);
        var changed = (byte[])Body.Clone();
        changed[changed.AsSpan().IndexOf("00008030"u8)] = (byte)'1';

        Assert.False(MdmSignature.TryVerify(changed, header, out var signer, out var error));
        Assert.Null(signer);
        Assert.Contains("does not match the request body", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SignatureByAnotherKey_CarryingTheDevicesCertificate_IsRefused()
    {
        var victim = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256).Certificate;
        // The attacker's own certificate claims the victim's key identifier, so the signer info points at the victim's
        // certificate, which is the only one in the message; the signature itself is made with the attacker's key.
        var victimKeyId = Assert.Single(victim.Extensions.OfType<X509SubjectKeyIdentifierExtension>()).SubjectKeyIdentifier!;
        using var attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=device", attackerKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(victimKeyId, critical: false));
        using var attacker = request.CreateSelfSigned(TestAuthorities.Start.AddDays(-1), TestAuthorities.Start.AddDays(1));
        using var victimPublic = X509CertificateLoader.LoadCertificate(victim.RawData);
        var header = SignAsDevice(Body, attacker, include: X509IncludeOption.None,
            identifiedBy: SubjectIdentifierType.SubjectKeyIdentifier, alsoInclude: victimPublic);

        Assert.False(MdmSignature.TryVerify(Body, header, out var signer, out var error));
        Assert.Null(signer);
        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AttachedSignatureOverAnotherBody_IsRefused()
    {
        var identity = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);
        var header = SignAsDevice("<plist>something else</plist>"u8.ToArray(), identity.Certificate, detached: false);

        Assert.False(MdmSignature.TryVerify(Body, header, out _, out var error));
        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SignatureWithoutTheSignersCertificate_IsRefused()
    {
        var identity = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);
        var header = SignAsDevice(Body, identity.Certificate, include: X509IncludeOption.None);

        Assert.False(MdmSignature.TryVerify(Body, header, out var signer, out var error));
        Assert.Null(signer);
        Assert.Contains("does not include the signer's certificate", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "no Mdm-Signature header")]
    [InlineData("", "no Mdm-Signature header")]
    [InlineData("   ", "no Mdm-Signature header")]
    [InlineData("not base64 at all!", "not base64")]
    [InlineData("aGVsbG8gd29ybGQ=", "not a CMS SignedData")]
    [InlineData("MAMCAQE=", "not a CMS SignedData")] // DER, but SEQUENCE { INTEGER 1 }
    public void MalformedHeader_IsRefusedWithAReason(string? header, string reason)
    {
        Assert.False(MdmSignature.TryVerify(Body, header, out var signer, out var error));
        Assert.Null(signer);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidSignatureFromAnotherCasCertificate_VerifiesButWasNotIssuedByUs()
    {
        var foreign = TestAuthorities.Foreign.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);

        Assert.True(MdmSignature.TryVerify(Body, SignAsDevice(Body, foreign.Certificate), out var signer, out _));
        Assert.False(Ca.Issued(signer, TestAuthorities.Start));
    }

    [Fact]
    public void ExpiredDeviceCertificate_VerifiesButIsNoLongerValid()
    {
        var identity = Ca.IssueDeviceIdentity("device", DeviceKeyAlgorithm.EcdsaP256);

        Assert.True(MdmSignature.TryVerify(Body, SignAsDevice(Body, identity.Certificate), out var signer, out _));
        Assert.False(Ca.Issued(signer, identity.NotAfter.AddDays(1)));
    }
}
