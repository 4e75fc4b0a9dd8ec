using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Latch.Core.Data;
using Latch.Core.Secrets;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Devices;

/// <summary>
/// Latch's own certificate authority for device enrolment, whatever the channel: it issues each enrolment's device
/// identity (the certificate a device authenticates its requests with: Apple's Mdm-Signature or TLS client
/// certificate, and the Windows enrolment next) and signs what enrolment hands out (Apple's profiles). One CA per
/// deployment: created at first start and kept in the database, encrypted, so every server sharing the database
/// issues and recognises the same certificates. Safe to use from many requests at once.
/// </summary>
public sealed class DeviceCertificateAuthority : IDisposable
{
    // The name it has been stored under since the Apple channel made it first; kept, so existing enrolments stay valid.
    public const string SecretName = "apple.enrollment-ca";
    public const string SubjectName = "CN=Latch Device Enrollment CA, O=Latch";

    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3652);
    private static readonly TimeSpan DeviceLifetime = TimeSpan.FromDays(730);

    // Devices with a clock a little behind must still accept what was issued just now.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromHours(1);

    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    private const string Sha256WithRsa = "1.2.840.113549.1.1.11";

    private readonly X509Certificate2 _authority; // with its private key; never leaves this class
    private readonly TimeProvider _clock;
    private readonly Lazy<X509Certificate2> _profileSigner;

    private DeviceCertificateAuthority(X509Certificate2 authority, TimeProvider clock)
    {
        _authority = authority;
        _clock = clock;
        Certificate = X509CertificateLoader.LoadCertificate(authority.RawData);
        _profileSigner = new Lazy<X509Certificate2>(IssueProfileSigner);
    }

    /// <summary>The CA certificate without its key: what devices are told to trust.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>
    /// Loads the deployment's CA, creating it on the very first start. When two servers start at once on a new
    /// database, both may create one, but only the first insert lands (the secret's name is the primary key); the
    /// other reads the winner's back and drops its own.
    /// </summary>
    public static async Task<DeviceCertificateAuthority> LoadOrCreateAsync(
        LatchDbContext db, SecretProtector secrets, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(clock);

        if (await ReadAsync(db, cancellationToken) is { } stored)
            return Load(stored, secrets, clock);

        var created = CreateNew(clock);
        var pkcs12 = created._authority.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null);
        db.StoredSecrets.Add(new StoredSecret
        {
            Name = SecretName,
            ProtectedValue = secrets.Protect(Convert.ToBase64String(pkcs12)),
            CreatedAt = clock.GetUtcNow(),
        });
        CryptographicOperations.ZeroMemory(pkcs12);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return created;
        }
        catch (DbUpdateException)
        {
            created.Dispose();
            db.ChangeTracker.Clear();
            var winner = await ReadAsync(db, cancellationToken);
            if (winner is null) throw; // not a lost race: a real failure
            return Load(winner, secrets, clock);
        }
    }

    /// <summary>A fresh CA that is not stored anywhere (LoadOrCreateAsync stores it; tests use it for throwaway CAs).</summary>
    internal static DeviceCertificateAuthority CreateNew(TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        using var key = RSA.Create(3072);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(
            certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return new DeviceCertificateAuthority(request.CreateSelfSigned(now - ClockSkew, now + CaLifetime), clock);
    }

    private static Task<StoredSecret?> ReadAsync(LatchDbContext db, CancellationToken cancellationToken) =>
        db.StoredSecrets.AsNoTracking().FirstOrDefaultAsync(s => s.Name == SecretName, cancellationToken);

    private static DeviceCertificateAuthority Load(StoredSecret stored, SecretProtector secrets, TimeProvider clock)
    {
        string base64;
        try
        {
            base64 = secrets.Unprotect(stored.ProtectedValue);
        }
        catch (CryptographicException exception)
        {
            throw new InvalidOperationException(
                $"The device enrolment CA stored in the database ('{SecretName}') cannot be decrypted with this server's Data " +
                "Protection key ring. Servers that share one database must share the key ring too.", exception);
        }

        var pkcs12 = Convert.FromBase64String(base64);
        var authority = X509CertificateLoader.LoadPkcs12(pkcs12, password: null);
        CryptographicOperations.ZeroMemory(pkcs12);
        if (authority.GetRSAPrivateKey() is not { } key)
        {
            authority.Dispose();
            throw new InvalidOperationException($"The stored secret '{SecretName}' holds no RSA private key.");
        }

        key.Dispose();
        return new DeviceCertificateAuthority(authority, clock);
    }

    /// <summary>
    /// A new device identity, signed by this CA: clientAuth, about two years. RSA-2048 is what real devices are given;
    /// ECDSA P-256 is for simulated fleets, where generating an RSA key would dominate the cost of enrolling.
    /// </summary>
    public DeviceIdentity IssueDeviceIdentity(string commonName, DeviceKeyAlgorithm algorithm = DeviceKeyAlgorithm.Rsa2048)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);

        using AsymmetricAlgorithm key = algorithm switch
        {
            DeviceKeyAlgorithm.Rsa2048 => RSA.Create(2048),
            DeviceKeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown device key algorithm."),
        };
        var request = key switch
        {
            RSA rsa => new CertificateRequest(subject.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => new CertificateRequest(subject.Build(), (ECDsa)key, HashAlgorithmName.SHA256),
        };
        AddLeafExtensions(request, key is RSA, ClientAuthentication);

        var (notBefore, notAfter) = Validity(DeviceLifetime);
        using var issued = Sign(request, notBefore, notAfter);
        var certificate = key switch
        {
            RSA rsa => issued.CopyWithPrivateKey(rsa),
            _ => issued.CopyWithPrivateKey((ECDsa)key),
        };
        return new DeviceIdentity(certificate, Sha256Thumbprint(certificate), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// Signs a device's own certificate request (Windows MS-WSTEP: the device keeps its private key). The request's
    /// signature is checked against the key it carries, so a PKCS#10 signed by another key than the one it names is
    /// refused; its subject and extensions are not taken: the certificate says what Latch decides (<paramref name="commonName"/>,
    /// clientAuth, about two years).
    /// </summary>
    /// <exception cref="CertificateRequestException">The request is not a valid, self-consistent PKCS#10 of an RSA or EC key.</exception>
    public DeviceIdentity SignDeviceRequest(ReadOnlySpan<byte> pkcs10, string commonName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        CertificateRequest presented;
        try
        {
            // Default options verify the request's signature with its own public key.
            presented = CertificateRequest.LoadSigningRequest(pkcs10.ToArray(), HashAlgorithmName.SHA256, out _,
                CertificateRequestLoadOptions.Default, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException exception)
        {
            throw new CertificateRequestException($"The certificate request is not a valid PKCS#10 signed by its own key: {exception.Message}");
        }
        var algorithm = presented.PublicKey.Oid.Value;
        if (algorithm is not ("1.2.840.113549.1.1.1" or "1.2.840.10045.2.1"))
            throw new CertificateRequestException($"The certificate request's key ({presented.PublicKey.Oid.FriendlyName ?? algorithm}) is neither RSA nor EC.");
        if (algorithm == "1.2.840.113549.1.1.1" && presented.PublicKey.GetRSAPublicKey() is { KeySize: < 2048 } weak)
            throw new CertificateRequestException($"The certificate request's RSA key has {weak.KeySize} bits; at least 2048 are required.");

        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), presented.PublicKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, algorithm == "1.2.840.113549.1.1.1", ClientAuthentication);
        var (notBefore, notAfter) = Validity(DeviceLifetime);
        var issued = Sign(request, notBefore, notAfter);
        return new DeviceIdentity(issued, Sha256Thumbprint(issued), new DateTimeOffset(issued.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// A TLS server certificate for Latch's device port (Windows devices check the server's certificate chain, and the
    /// provisioning document tells them to trust this CA), with the given DNS names and IP addresses.
    /// </summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> hostNames)
    {
        using var key = RSA.Create(2048);
        var names = new SubjectAlternativeNameBuilder();
        var first = "localhost";
        var any = false;
        foreach (var host in hostNames)
        {
            if (!any) first = host;
            any = true;
            if (System.Net.IPAddress.TryParse(host, out var address)) names.AddIpAddress(address);
            else names.AddDnsName(host);
        }
        if (!any) names.AddDnsName(first);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(first);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, rsa: true, "1.3.6.1.5.5.7.3.1");
        request.CertificateExtensions.Add(names.Build());
        var (notBefore, notAfter) = Validity(DeviceLifetime);
        using var issued = Sign(request, notBefore, notAfter);
        return issued.CopyWithPrivateKey(key);
    }

    private void AddLeafExtensions(CertificateRequest request, bool rsa, string usage)
    {
        // An EC key cannot encipher, and RFC 5480 §3 forbids saying it can.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            rsa ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            _authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
    }

    /// <summary>
    /// Whether <paramref name="leaf"/> carries this CA's signature and is valid at <paramref name="now"/>. The signature is
    /// checked directly against the CA's key (no chain building, no revocation lookups): this runs on every device request.
    /// </summary>
    public bool Issued(X509Certificate2 leaf, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (!leaf.IssuerName.RawData.AsSpan().SequenceEqual(Certificate.SubjectName.RawData))
            return false;
        var at = now.UtcDateTime;
        if (at < leaf.NotBefore.ToUniversalTime() || at > leaf.NotAfter.ToUniversalTime())
            return false;

        try
        {
            // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (RFC 5280 §4.1)
            var certificate = new AsnReader(leaf.RawData, AsnEncodingRules.DER).ReadSequence();
            var signed = certificate.ReadEncodedValue();
            var algorithm = certificate.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != Sha256WithRsa)
                return false; // this CA signs nothing else
            var signature = certificate.ReadBitString(out _);
            using var key = Certificate.GetRSAPublicKey()!;
            return key.VerifyData(signed.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Signs an enrolment profile: CMS SignedData with the profile attached, as <c>.mobileconfig</c> downloads are.
    /// The signer is a certificate this CA issues for the purpose (the CA's own key usage is certificate signing
    /// only); the CA certificate travels with it so the device can build the chain.
    /// </summary>
    public byte[] Sign(byte[] profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var cms = new SignedCms(new ContentInfo(profile), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, _profileSigner.Value)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), // SHA-256
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.Certificates.Add(Certificate);
        signer.SignedAttributes.Add(new Pkcs9SigningTime(_clock.GetUtcNow().UtcDateTime));
        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }

    /// <summary>Upper-case hex SHA-256 of the certificate's DER bytes: how a signed request finds its enrolment.</summary>
    public static string Sha256Thumbprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.RawDataMemory.Span)); // RawData would copy the bytes first
    }

    // Made per process on first use: it never needs to be stored, since anything this CA issued verifies the same.
    private X509Certificate2 IssueProfileSigner()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Latch Enrollment Profile Signing, O=Latch", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(
            _authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var notBefore = Validity(TimeSpan.Zero).NotBefore;
        using var issued = Sign(request, notBefore, _authority.NotAfter.ToUniversalTime());
        return issued.CopyWithPrivateKey(key);
    }

    // An issued certificate may not outlive (or predate) the CA; CertificateRequest refuses it otherwise.
    private (DateTimeOffset NotBefore, DateTimeOffset NotAfter) Validity(TimeSpan lifetime)
    {
        var now = _clock.GetUtcNow();
        var caNotBefore = new DateTimeOffset(_authority.NotBefore.ToUniversalTime());
        var caNotAfter = new DateTimeOffset(_authority.NotAfter.ToUniversalTime());
        var notBefore = now - ClockSkew < caNotBefore ? caNotBefore : now - ClockSkew;
        var notAfter = now + lifetime > caNotAfter ? caNotAfter : now + lifetime;
        return (notBefore, notAfter);
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        // A key object per call: the CA is shared by concurrent requests and an RSA instance promises no thread safety.
        using var caKey = _authority.GetRSAPrivateKey()!;
        var generator = X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1);
        return request.Create(_authority.SubjectName, generator, notBefore, notAfter, NewSerialNumber());
    }

    // 128 random bits, positive, with no leading zero byte so the DER integer is minimal.
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    public void Dispose()
    {
        _authority.Dispose();
        Certificate.Dispose();
        if (_profileSigner.IsValueCreated) _profileSigner.Value.Dispose();
    }
}

public enum DeviceKeyAlgorithm
{
    /// <summary>What real devices get: every Apple OS version accepts it.</summary>
    Rsa2048,

    /// <summary>Cheap to generate: for simulated devices in load tests.</summary>
    EcdsaP256,
}

/// <summary>A device's certificate request that cannot be signed (malformed, signed by another key, a weak key).</summary>
public sealed class CertificateRequestException(string message) : Exception(message);

/// <summary>A device identity: the certificate with its private key (it goes into the profile), and how to find it again.</summary>
public sealed record DeviceIdentity(X509Certificate2 Certificate, string Sha256Thumbprint, DateTimeOffset NotAfter);
