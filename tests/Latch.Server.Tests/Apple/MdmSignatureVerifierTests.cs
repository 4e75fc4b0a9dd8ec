using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// The fast <c>Mdm-Signature</c> check every device request goes through must accept and refuse exactly what
/// SignedCms (<see cref="MdmSignature"/>) does, whether the signer's key is already kept or not.
/// </summary>
public sealed class MdmSignatureVerifierTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n\t<key>Status</key>\n\t<string>Idle</string>\n" +
        "\t<key>UDID</key>\n\t<string>00008030-001A2B3C4D5E6F70</string>\n</dict>\n</plist>\n");

    private static readonly bool[] SigningTimeOrNot = [false, true];

    private static readonly Lazy<DeviceIdentity> Rsa = new(() => TestAuthorities.Shared.IssueDeviceIdentity("rsa device", DeviceKeyAlgorithm.Rsa2048));
    private static readonly Lazy<DeviceIdentity> Ecdsa = new(() => TestAuthorities.Shared.IssueDeviceIdentity("ecdsa device", DeviceKeyAlgorithm.EcdsaP256));

    private static string Sign(byte[] body, X509Certificate2 certificate, string digestOid = "2.16.840.1.101.3.4.2.1", bool signingTime = false,
        SubjectIdentifierType identifiedBy = SubjectIdentifierType.IssuerAndSerialNumber)
    {
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        var signer = new CmsSigner(identifiedBy, certificate) { DigestAlgorithm = new Oid(digestOid), IncludeOption = X509IncludeOption.EndCertOnly };
        if (signingTime) signer.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow)); // as Apple's devices do
        cms.ComputeSignature(signer, silent: true);
        return Convert.ToBase64String(cms.Encode());
    }

    [Theory]
    [InlineData(DeviceKeyAlgorithm.Rsa2048, "2.16.840.1.101.3.4.2.1", false)]
    [InlineData(DeviceKeyAlgorithm.Rsa2048, "2.16.840.1.101.3.4.2.1", true)]
    [InlineData(DeviceKeyAlgorithm.Rsa2048, "1.3.14.3.2.26", true)]
    [InlineData(DeviceKeyAlgorithm.Rsa2048, "2.16.840.1.101.3.4.2.3", false)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256, "2.16.840.1.101.3.4.2.1", false)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256, "2.16.840.1.101.3.4.2.1", true)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256, "2.16.840.1.101.3.4.2.2", true)]
    public void DeviceSignature_IsAccepted_BeforeAndAfterItsKeyIsKept(DeviceKeyAlgorithm algorithm, string digestOid, bool signingTime)
    {
        var identity = algorithm == DeviceKeyAlgorithm.Rsa2048 ? Rsa.Value : Ecdsa.Value;
        var verifier = new MdmSignatureVerifier();

        Assert.True(verifier.TryVerify(Body, Sign(Body, identity.Certificate, digestOid, signingTime), out var first, out var error), error);
        Assert.Equal(identity.Certificate.RawData, first.Certificate);
        Assert.Equal(identity.Sha256Thumbprint, first.Thumbprint);
        Assert.Equal(0, verifier.KeptKeys); // nothing is kept until the caller knows the signer is enrolled

        verifier.Keep(first);
        Assert.Equal(1, verifier.KeptKeys);
        Assert.True(verifier.TryVerify(Body, Sign(Body, identity.Certificate, digestOid, signingTime), out var second, out error), error);
        Assert.Equal(identity.Sha256Thumbprint, second.Thumbprint);
    }

    [Theory]
    [InlineData(DeviceKeyAlgorithm.Rsa2048)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256)]
    public void KeptKey_StillRefusesAChangedBody(DeviceKeyAlgorithm algorithm)
    {
        var identity = algorithm == DeviceKeyAlgorithm.Rsa2048 ? Rsa.Value : Ecdsa.Value;
        var verifier = new MdmSignatureVerifier();
        var header = Sign(Body, identity.Certificate, signingTime: true);
        Assert.True(verifier.TryVerify(Body, header, out var signer, out _));
        verifier.Keep(signer);

        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("Idle", "Idl3"));
        Assert.False(verifier.TryVerify(changed, header, out var none, out var error));
        Assert.Null(none);
        Assert.Contains("does not match the request body", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherForms_GoThroughSignedCms_AndAreStillAccepted()
    {
        // A signer named by subject key identifier: not the form this verifier reads itself.
        var verifier = new MdmSignatureVerifier();
        var header = Sign(Body, Ecdsa.Value.Certificate, identifiedBy: SubjectIdentifierType.SubjectKeyIdentifier);

        Assert.True(verifier.TryVerify(Body, header, out var signer, out var error), error);
        Assert.Equal(Ecdsa.Value.Sha256Thumbprint, signer.Thumbprint);
    }

    [Fact]
    public void SignatureAlgorithmNamingAnotherDigest_IsRefusedAsSignedCmsRefusesIt()
    {
        // Found by the property test: ecdsa-with-SHA256 changed to ecdsa-with-SHA384 while the digest stays SHA-256.
        var header = Convert.FromBase64String(Sign(Body, Ecdsa.Value.Certificate));
        byte[] sha256Ecdsa = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
        var at = header.AsSpan().LastIndexOf(sha256Ecdsa);
        Assert.True(at > 0);
        header[at + sha256Ecdsa.Length - 1] = 0x03;
        var encoded = Convert.ToBase64String(header);

        Assert.False(MdmSignature.TryVerify(Body, encoded, out _, out _));
        Assert.False(new MdmSignatureVerifier().TryVerify(Body, encoded, out _, out var error));
        Assert.Contains("does not match", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "no Mdm-Signature header")]
    [InlineData("not base64 at all!", "not base64")]
    [InlineData("aGVsbG8gd29ybGQ=", "not a CMS SignedData")]
    [InlineData("MAMCAQE=", "not a CMS SignedData")]
    public void MalformedHeader_IsRefusedWithTheSameReasonAsSignedCms(string? header, string reason)
    {
        Assert.False(new MdmSignatureVerifier().TryVerify(Body, header, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyChangeToBodyOrSignature_IsJudgedAsSignedCmsJudgesIt()
    {
        var identities = new[] { Rsa.Value, Ecdsa.Value };
        var signed = identities.SelectMany(identity => SigningTimeOrNot.Select(time =>
            (identity, header: Convert.FromBase64String(Sign(Body, identity.Certificate, signingTime: time))))).ToArray();
        var verifier = new MdmSignatureVerifier();
        foreach (var (identity, header) in signed)
            if (verifier.TryVerify(Body, Convert.ToBase64String(header), out var signer, out _)) verifier.Keep(signer);
        Assert.Equal(2, verifier.KeptKeys);

        // One message, then none, one or two changes: a byte of the body, or a byte of the CMS message, or a cut.
        var change = Gen.OneOf(
            Gen.Int[0, Body.Length - 1].Select(Gen.Byte).Select((at, value) => (Part: 0, At: at, Value: value)),
            Gen.Int[0, 2_000].Select(Gen.Byte).Select((at, value) => (Part: 1, At: at, Value: value)),
            Gen.Int[0, 2_000].Select(at => (Part: 2, At: at, Value: (byte)0)));
        Gen.Select(Gen.Int[0, signed.Length - 1], change.Array[0, 2]).Sample((which, changes) =>
        {
            var body = (byte[])Body.Clone();
            var header = (byte[])signed[which].header.Clone();
            foreach (var (part, at, value) in changes)
            {
                if (part == 0) body[at] = value;
                else if (header.Length == 0) break;
                else if (part == 1) header[at % header.Length] = value;
                else header = header[..(at % header.Length)];
            }
            var encoded = Convert.ToBase64String(header);

            var fast = verifier.TryVerify(body, encoded, out var signer, out var fastError);
            var reference = MdmSignature.TryVerify(body, encoded, out var certificate, out var referenceError);
            Assert.True(reference == fast, $"SignedCms: {referenceError ?? "accepted"}; fast: {fastError ?? "accepted"}; header {Convert.ToHexString(header)}");
            // Both name the signer by the SHA-256 of its certificate. The certificate loader re-encodes a certificate whose
            // DER is not canonical (a changed BOOLEAN, say), so SignedCms may hash other bytes than the message carries;
            // the fast path hashes the bytes it verified, which can then never be an issued certificate's.
            if (fast && DeviceCertificateAuthority.Sha256Thumbprint(certificate!) != signer!.Thumbprint)
            {
                Assert.NotEqual(certificate!.RawData, signer!.Certificate);
                Assert.NotEqual(signed[which].identity.Sha256Thumbprint, signer.Thumbprint);
            }
        }, iter: 2_000);
    }
}
