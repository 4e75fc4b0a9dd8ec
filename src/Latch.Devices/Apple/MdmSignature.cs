using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Latch.Devices.Apple;

// The Mdm-Signature header: base64 of a detached CMS SignedData over the exact body bytes, SHA-256,
// signed by the device identity with only that certificate included.
// https://developer.apple.com/documentation/devicemanagement/mdm (SignMessage)
internal static class MdmSignature
{
    public const string HeaderName = "Mdm-Signature";

    private static readonly Oid Sha256 = new("2.16.840.1.101.3.4.2.1");

    public static string Create(ReadOnlySpan<byte> body, X509Certificate2 identity)
    {
        var cms = new SignedCms(new ContentInfo(body.ToArray()), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, identity)
        {
            DigestAlgorithm = Sha256,
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        cms.ComputeSignature(signer);
        return Convert.ToBase64String(cms.Encode());
    }

    // An identity nobody issued, for tests of the server's refusals.
    public static X509Certificate2 CreateImpostor(string udid)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN=Simulated impostor {udid}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}
