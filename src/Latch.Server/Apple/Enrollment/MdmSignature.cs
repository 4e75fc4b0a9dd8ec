using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Latch.Server.Devices;

namespace Latch.Server.Apple.Enrollment;

/// <summary>
/// The <c>Mdm-Signature</c> header a device sends when its MDM payload has <c>SignMessage</c>: base64 of a detached CMS
/// SignedData over the exact request body, signed with the device identity and carrying its certificate.
/// https://developer.apple.com/documentation/devicemanagement/mdm (SignMessage). This proves only that the holder of
/// the certificate's key sent this body; whether the certificate is one of ours and belongs to an enrolment is the
/// caller's question (<see cref="DeviceCertificateAuthority.Issued"/>, then the thumbprint).
/// </summary>
public static class MdmSignature
{
    public const string HeaderName = "Mdm-Signature";

    public static bool TryVerify(
        ReadOnlySpan<byte> body, string? headerValue, [NotNullWhen(true)] out X509Certificate2? signer, [NotNullWhen(false)] out string? error)
    {
        signer = null;
        if (string.IsNullOrWhiteSpace(headerValue))
        {
            error = $"The request has no {HeaderName} header; this device's profile requires signed messages.";
            return false;
        }

        byte[] encoded;
        try
        {
            encoded = Convert.FromBase64String(headerValue);
        }
        catch (FormatException)
        {
            error = $"The {HeaderName} header is not base64.";
            return false;
        }

        var cms = new SignedCms(new ContentInfo(body.ToArray()), detached: true);
        SignerInfoCollection signers;
        try
        {
            cms.Decode(encoded);
            signers = cms.SignerInfos; // decoded only now: malformed signed attributes fail here
        }
        catch (CryptographicException)
        {
            error = $"The {HeaderName} header is not a CMS SignedData message.";
            return false;
        }

        if (signers.Count != 1)
        {
            error = $"The {HeaderName} must have exactly one signer; it has {signers.Count}.";
            return false;
        }

        var info = signers[0];
        X509Certificate2? certificate;
        try
        {
            certificate = info.Certificate;
        }
        catch (CryptographicException)
        {
            error = $"The {HeaderName} carries a certificate that cannot be read.";
            return false;
        }
        if (certificate is null)
        {
            error = $"The {HeaderName} does not include the signer's certificate.";
            return false;
        }

        try
        {
            info.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException)
        {
            error = $"The {HeaderName} does not match the request body (or was not made with the key of the certificate it carries).";
            return false;
        }

        signer = certificate;
        error = null;
        return true;
    }
}
