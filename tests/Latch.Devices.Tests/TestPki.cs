using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

/// <summary>
/// A throwaway CA that issues device identities and signs enrolment profiles shaped as the Latch server
/// serves them: a CMS SignedData (attached) over a plist with root, pkcs12 and com.apple.mdm payloads.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string Topic = "com.apple.mgmt.External.0f3a1b2c-5d6e-4f70-8a9b-0c1d2e3f4a5b";
    public const string Password = "simulated-p12-password";

    // RSA key generation is slow (a few hundred milliseconds): every CA and identity here shares two keys.
    private static readonly RSA CaKey = RSA.Create(2048);
    private static readonly RSA IdentityKey = RSA.Create(2048);

    private readonly Lock _issued = new();
    private readonly HashSet<string> _thumbprints = [];

    public TestPki()
    {
        var request = new CertificateRequest($"CN=Latch test CA {Guid.NewGuid():N}", CaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        var now = DateTimeOffset.UtcNow;
        Ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    public X509Certificate2 Ca { get; }

    /// <summary>Whether a certificate is one of the device identities this CA put in a profile.</summary>
    public bool Issued(X509Certificate2 certificate)
    {
        lock (_issued)
        {
            return _thumbprints.Contains(certificate.Thumbprint);
        }
    }

    /// <summary>A signed profile for a server whose endpoints are at <paramref name="server"/>.</summary>
    public byte[] Profile(Uri server, bool signMessage = true, string password = Password, Func<PlistDict, PlistDict>? edit = null)
    {
        var pkcs12 = IssueIdentity(password);
        var identityUuid = Guid.NewGuid().ToString("D").ToUpperInvariant();
        var plist = new PlistDict(
        [
            new("PayloadContent", new PlistArray(
            [
                Payload("com.apple.security.root", ("PayloadContent", new PlistData(Ca.RawData))),
                Payload("com.apple.security.pkcs12",
                    ("PayloadContent", new PlistData(pkcs12)),
                    ("Password", new PlistString(password)),
                    ("PayloadUUID", new PlistString(identityUuid))),
                Payload("com.apple.mdm",
                    ("IdentityCertificateUUID", new PlistString(identityUuid)),
                    ("Topic", new PlistString(Topic)),
                    ("ServerURL", new PlistString(new Uri(server, "mdm/server").AbsoluteUri)),
                    ("CheckInURL", new PlistString(new Uri(server, "mdm/checkin").AbsoluteUri)),
                    ("SignMessage", new PlistBoolean(signMessage)),
                    ("AccessRights", new PlistInteger(8191)),
                    ("CheckOutWhenRemoved", PlistBoolean.True)),
            ])),
            new("PayloadDisplayName", new PlistString("Latch enrolment (test)")),
            new("PayloadIdentifier", new PlistString("example.latch.test.enrollment")),
            new("PayloadType", new PlistString("Configuration")),
            new("PayloadUUID", new PlistString(Guid.NewGuid().ToString("D").ToUpperInvariant())),
            new("PayloadVersion", new PlistInteger(1)),
        ]);
        return Sign(Plist.Write(edit is null ? plist : edit(plist)));
    }

    /// <summary>CMS SignedData with the content attached, signed by the CA.</summary>
    public byte[] Sign(byte[] content)
    {
        var cms = new SignedCms(new ContentInfo(content), detached: false);
        cms.ComputeSignature(new CmsSigner(Ca) { IncludeOption = X509IncludeOption.EndCertOnly });
        return cms.Encode();
    }

    public void Dispose() => Ca.Dispose();

    private byte[] IssueIdentity(string password)
    {
        var key = IdentityKey;
        var request = new CertificateRequest(
            $"CN=Simulated device identity {Guid.NewGuid():N}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Ca, now.AddDays(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(16));
        using var identity = issued.CopyWithPrivateKey(key);
        lock (_issued)
        {
            _thumbprints.Add(identity.Thumbprint);
        }

        return identity.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    private static PlistDict Payload(string type, params (string Key, PlistValue Value)[] keys)
    {
        var entries = keys.Select(k => new KeyValuePair<string, PlistValue>(k.Key, k.Value)).ToList();
        entries.Add(new("PayloadType", new PlistString(type)));
        entries.Add(new("PayloadIdentifier", new PlistString($"example.latch.test.{type}")));
        entries.Add(new("PayloadVersion", new PlistInteger(1)));
        if (!entries.Any(e => e.Key == "PayloadUUID"))
        {
            entries.Add(new("PayloadUUID", new PlistString(Guid.NewGuid().ToString("D").ToUpperInvariant())));
        }

        return new PlistDict(entries);
    }
}
