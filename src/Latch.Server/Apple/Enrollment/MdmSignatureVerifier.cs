using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Latch.Server.Devices;

namespace Latch.Server.Apple.Enrollment;

/// <summary>Who signed a device request: the signer certificate's DER bytes and its SHA-256 thumbprint.</summary>
public sealed record MdmSigner(byte[] Certificate, string Thumbprint)
{
    // The public key as this request imported it, for MdmSignatureVerifier.Keep (null when it came from the cache).
    internal AsymmetricAlgorithm? ImportedKey { get; init; }
}

/// <summary>
/// Checks <c>Mdm-Signature</c> headers on every device request, fast. <see cref="MdmSignature.TryVerify"/> (SignedCms)
/// decodes the whole message and the certificate each time — about 0.8 ms here, eight times the signature check itself.
/// This reads the forms devices send (one signer named by issuer and serial number, its certificate in the message,
/// RSA PKCS#1 v1.5 or ECDSA, SHA-1/2 digests, with or without signed attributes) straight from the DER, and keeps the
/// imported public key of each enrolled identity, found by the SHA-256 of the certificate's bytes — the same bytes
/// always carry the same key. Anything else, and every refusal, goes through SignedCms, so both accept and refuse the
/// same messages (a property test holds them to it); the thumbprint is always of the bytes the message carries, where
/// SignedCms would hash a re-encoding of a non-canonical certificate. The signature itself is checked on every request: nothing is cached by
/// signature or body, since real devices sign every message anew.
/// </summary>
public sealed class MdmSignatureVerifier
{
    /// <summary>Keys kept at most; when full the cache starts again (a fleet larger than this pays for imports).</summary>
    public const int MaxKeys = 200_000;

    private const string DataOid = "1.2.840.113549.1.7.1";
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string ContentTypeAttributeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestAttributeOid = "1.2.840.113549.1.9.4";

    private readonly ConcurrentDictionary<string, AsymmetricAlgorithm> _keys = new(StringComparer.Ordinal);

    /// <summary>How many enrolled identities' keys are kept now.</summary>
    public int KeptKeys => _keys.Count;

    public bool TryVerify(ReadOnlySpan<byte> body, string? headerValue, [NotNullWhen(true)] out MdmSigner? signer,
        [NotNullWhen(false)] out string? error)
    {
        signer = null;
        if (string.IsNullOrWhiteSpace(headerValue))
        {
            error = $"The request has no {MdmSignature.HeaderName} header; this device's profile requires signed messages.";
            return false;
        }

        byte[] encoded;
        try
        {
            encoded = Convert.FromBase64String(headerValue);
        }
        catch (FormatException)
        {
            error = $"The {MdmSignature.HeaderName} header is not base64.";
            return false;
        }

        Parsed? parsed;
        try
        {
            parsed = Parse(encoded);
        }
        catch (Exception exception) when (exception is AsnContentException or CryptographicException)
        {
            parsed = null; // SignedCms names the problem
        }
        if (parsed is null) return TryVerifyWithSignedCms(body, headerValue, out signer, out error);

        var thumbprint = Convert.ToHexString(SHA256.HashData(parsed.Certificate.Span));
        var kept = _keys.TryGetValue(thumbprint, out var key);
        try
        {
            key ??= ImportKey(parsed.Certificate);
            // Only an accepted signature is decided here; anything refused is judged again by SignedCms, which also names the problem.
            if (key is null || !Matches(body, parsed, key))
            {
                if (!kept) key?.Dispose();
                return TryVerifyWithSignedCms(body, headerValue, out signer, out error);
            }
        }
        catch (Exception exception) when (exception is AsnContentException or CryptographicException)
        {
            if (!kept) key?.Dispose();
            return TryVerifyWithSignedCms(body, headerValue, out signer, out error);
        }
        signer = new MdmSigner(parsed.Certificate.ToArray(), thumbprint) { ImportedKey = kept ? null : key };
        error = null;
        return true;
    }

    /// <summary>
    /// Keeps the signer's public key for its next requests. Only for signers that are an enrolment's identity: a stranger's
    /// certificates must not fill the cache.
    /// </summary>
    public void Keep(MdmSigner signer)
    {
        if (_keys.ContainsKey(signer.Thumbprint)) return;
        if (_keys.Count >= MaxKeys) _keys.Clear();
        try
        {
            if ((signer.ImportedKey ?? ImportKey(signer.Certificate)) is { } key && !_keys.TryAdd(signer.Thumbprint, key)) key.Dispose();
        }
        catch (Exception exception) when (exception is AsnContentException or CryptographicException)
        {
            // Not a key this verifier reads (SignedCms checked that message): it is simply not kept.
        }
    }

    private static bool TryVerifyWithSignedCms(ReadOnlySpan<byte> body, string headerValue, [NotNullWhen(true)] out MdmSigner? signer,
        [NotNullWhen(false)] out string? error)
    {
        signer = null;
        if (!MdmSignature.TryVerify(body, headerValue, out var certificate, out error)) return false;
        using (certificate)
            signer = new MdmSigner(certificate.RawData, DeviceCertificateAuthority.Sha256Thumbprint(certificate));
        return true;
    }

    private static bool Matches(ReadOnlySpan<byte> body, Parsed parsed, AsymmetricAlgorithm key)
    {
        Span<byte> digest = stackalloc byte[64];
        var length = CryptographicOperations.HashData(parsed.Digest, body, digest);
        digest = digest[..length];

        ReadOnlySpan<byte> signedHash = digest;
        Span<byte> attributesDigest = stackalloc byte[64];
        if (parsed.SignedAttributes is { } attributes)
        {
            // With signed attributes the signature covers them (as an explicit SET), and they carry the body's digest.
            if (!parsed.MessageDigest.Span.SequenceEqual(digest)) return false;
            var encoded = attributes.ToArray();
            encoded[0] = 0x31;
            signedHash = attributesDigest[..CryptographicOperations.HashData(parsed.Digest, encoded, attributesDigest)];
        }

        return key switch
        {
            RSA rsa => parsed.Algorithm == SignatureKind.Rsa
                       && rsa.VerifyHash(signedHash, parsed.Signature.Span, parsed.Digest, RSASignaturePadding.Pkcs1),
            ECDsa ecdsa => parsed.Algorithm == SignatureKind.Ecdsa
                           && ecdsa.VerifyHash(signedHash, parsed.Signature.Span, DSASignatureFormat.Rfc3279DerSequence),
            _ => false,
        };
    }

    // The certificate's public key (RSA or ECDSA; null for other kinds), read by the same loader SignedCms uses, so a
    // certificate it cannot read is not accepted here either.
    private static AsymmetricAlgorithm? ImportKey(ReadOnlyMemory<byte> certificate)
    {
        using var loaded = X509CertificateLoader.LoadCertificate(certificate.Span);
        return (AsymmetricAlgorithm?)loaded.GetRSAPublicKey() ?? loaded.GetECDsaPublicKey();
    }

    private enum SignatureKind { Rsa, Ecdsa }

    private sealed record Parsed(
        ReadOnlyMemory<byte> Certificate, HashAlgorithmName Digest, SignatureKind Algorithm, ReadOnlyMemory<byte> Signature,
        ReadOnlyMemory<byte>? SignedAttributes, ReadOnlyMemory<byte> MessageDigest);

    // The one common shape, or null for anything else (which SignedCms then judges). Throws on malformed DER.
    private static Parsed? Parse(byte[] encoded)
    {
        var outer = new AsnReader(encoded, AsnEncodingRules.BER);
        var contentInfo = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        if (contentInfo.ReadObjectIdentifier() != SignedDataOid) return null;
        var explicitContent = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
        contentInfo.ThrowIfNotEmpty();
        var signedData = explicitContent.ReadSequence();
        explicitContent.ThrowIfNotEmpty();

        signedData.ReadInteger(); // version
        var digestAlgorithms = signedData.ReadSetOf(skipSortOrderValidation: true); // the signer names its own; read to be as strict as SignedCms
        while (digestAlgorithms.HasData) ReadAlgorithm(digestAlgorithms);
        var encapsulated = signedData.ReadSequence();
        if (encapsulated.ReadObjectIdentifier() != DataOid || encapsulated.HasData) return null; // detached id-data only

        var certificates = new List<ReadOnlyMemory<byte>>();
        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            var set = signedData.ReadSetOf(skipSortOrderValidation: true, expectedTag: new Asn1Tag(TagClass.ContextSpecific, 0));
            while (set.HasData)
            {
                if (set.PeekTag() != Asn1Tag.Sequence) return null; // attribute certificates and the like
                certificates.Add(set.ReadEncodedValue());
            }
        }
        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            signedData.ReadEncodedValue(); // CRLs: not used

        var signerInfos = signedData.ReadSetOf(skipSortOrderValidation: true);
        signedData.ThrowIfNotEmpty();
        var signerInfo = signerInfos.ReadSequence();
        if (signerInfos.HasData) return null; // more than one signer

        if (signerInfo.ReadInteger() != 1) return null; // version 3: subjectKeyIdentifier
        var issuerAndSerial = signerInfo.ReadSequence();
        var issuer = issuerAndSerial.ReadEncodedValue();
        var serial = issuerAndSerial.ReadIntegerBytes();
        issuerAndSerial.ThrowIfNotEmpty();
        var certificate = certificates.FirstOrDefault(c => IsNamed(c, issuer, serial));
        if (certificate.IsEmpty) return null;

        var digest = DigestOf(ReadAlgorithm(signerInfo));
        if (digest is null) return null;

        ReadOnlyMemory<byte>? signedAttributes = null;
        ReadOnlyMemory<byte> messageDigest = default;
        if (signerInfo.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            signedAttributes = signerInfo.PeekEncodedValue();
            // The signature covers the attributes' DER encoding: anything else is left to SignedCms.
            new AsnReader(signedAttributes.Value, AsnEncodingRules.DER).ReadSetOf(skipSortOrderValidation: true, expectedTag: new Asn1Tag(TagClass.ContextSpecific, 0));
            var attributes = signerInfo.ReadSetOf(skipSortOrderValidation: true, expectedTag: new Asn1Tag(TagClass.ContextSpecific, 0));
            var digests = 0;
            while (attributes.HasData)
            {
                var attribute = attributes.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf(skipSortOrderValidation: true);
                attribute.ThrowIfNotEmpty();
                if (type == MessageDigestAttributeOid)
                {
                    digests++;
                    messageDigest = values.ReadOctetString();
                    if (values.HasData) return null;
                }
                else if (type == ContentTypeAttributeOid && values.ReadObjectIdentifier() != DataOid)
                {
                    return null;
                }
            }
            if (digests != 1) return null;
        }

        var (kind, namedDigest) = KindOf(ReadAlgorithm(signerInfo));
        if (kind is null || (namedDigest is { } named && named != digest.Value)) return null; // SignedCms judges a mismatch
        var signature = signerInfo.ReadOctetString();
        if (signerInfo.HasData) signerInfo.ReadSetOf(skipSortOrderValidation: true, expectedTag: new Asn1Tag(TagClass.ContextSpecific, 1)); // unsigned attributes
        signerInfo.ThrowIfNotEmpty();
        return new Parsed(certificate, digest.Value, kind.Value, signature, signedAttributes, messageDigest);
    }

    // An AlgorithmIdentifier's OID; its parameters, if any, are read but not used.
    private static string ReadAlgorithm(AsnReader reader)
    {
        var algorithm = reader.ReadSequence();
        var oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData) algorithm.ReadEncodedValue();
        algorithm.ThrowIfNotEmpty();
        return oid;
    }

    // Whether the certificate's issuer and serial number are the ones the signer info names.
    private static bool IsNamed(ReadOnlyMemory<byte> certificate, ReadOnlyMemory<byte> issuer, ReadOnlyMemory<byte> serial)
    {
        var tbs = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true))) tbs.ReadEncodedValue();
        var certificateSerial = tbs.ReadIntegerBytes();
        tbs.ReadEncodedValue(); // signature algorithm
        return certificateSerial.Span.SequenceEqual(serial.Span) && tbs.ReadEncodedValue().Span.SequenceEqual(issuer.Span);
    }

    private static HashAlgorithmName? DigestOf(string oid) => oid switch
    {
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        "1.3.14.3.2.26" => HashAlgorithmName.SHA1,
        _ => null,
    };

    // RSA PKCS#1 v1.5 and ECDSA, named by the key alone or together with a digest (devices use both forms); a named
    // digest must be the signer's digest algorithm.
    private static (SignatureKind? Kind, HashAlgorithmName? Digest) KindOf(string oid) => oid switch
    {
        "1.2.840.113549.1.1.1" => (SignatureKind.Rsa, null),
        "1.2.840.113549.1.1.5" => (SignatureKind.Rsa, HashAlgorithmName.SHA1),
        "1.2.840.113549.1.1.11" => (SignatureKind.Rsa, HashAlgorithmName.SHA256),
        "1.2.840.113549.1.1.12" => (SignatureKind.Rsa, HashAlgorithmName.SHA384),
        "1.2.840.113549.1.1.13" => (SignatureKind.Rsa, HashAlgorithmName.SHA512),
        "1.2.840.10045.2.1" => (SignatureKind.Ecdsa, null),
        "1.2.840.10045.4.1" => (SignatureKind.Ecdsa, HashAlgorithmName.SHA1),
        "1.2.840.10045.4.3.2" => (SignatureKind.Ecdsa, HashAlgorithmName.SHA256),
        "1.2.840.10045.4.3.3" => (SignatureKind.Ecdsa, HashAlgorithmName.SHA384),
        "1.2.840.10045.4.3.4" => (SignatureKind.Ecdsa, HashAlgorithmName.SHA512),
        _ => (null, null),
    };
}
