using System.Formats.Asn1;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Latch.Protocols.Apple;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;

namespace Latch.Server.Tests.Apple;

public sealed class EnrollmentProfileTests
{
    private static readonly Guid EnrollmentId = Guid.Parse("0199c3a4-5b6e-7f00-8123-456789abcdef");
    private const string Topic = "com.apple.mgmt.External.4c7cea50-9775-40c0-9f78-a3f41cb0b03a";

    private static DeviceCertificateAuthority Ca => TestAuthorities.Shared;

    private static (EnrollmentProfileInput Input, byte[] Profile) Build(DeviceKeyAlgorithm algorithm = DeviceKeyAlgorithm.Rsa2048)
    {
        var input = new EnrollmentProfileInput(
            new Uri("https://mdm.example.test/mdm/apple/server"),
            new Uri("https://mdm.example.test/mdm/apple/checkin"),
            Topic,
            Ca.IssueDeviceIdentity("Latch enrollment " + EnrollmentId, algorithm),
            Ca.Certificate,
            EnrollmentId,
            "Example Corp");
        return (input, AppleEnrollmentProfile.Build(input));
    }

    private static PlistDict PayloadOfType(PlistDict profile, string type)
    {
        var content = Assert.IsType<PlistArray>(profile["PayloadContent"]);
        return Assert.Single(content.Items.Cast<PlistDict>(), p => p["PayloadType"] is PlistString s && s.Value == type);
    }

    private static string StringOf(PlistDict dict, string key) => Assert.IsType<PlistString>(dict[key]).Value;

    [Fact]
    public void SignedProfile_VerifiesAndChainsToTheCa_AndCarriesTheProfile()
    {
        var (_, profile) = Build();
        var signed = Ca.Sign(profile);

        var cms = new SignedCms();
        cms.Decode(signed);
        Assert.False(cms.Detached);
        Assert.Equal(profile, cms.ContentInfo.Content);
        var signer = Assert.Single(cms.SignerInfos.Cast<SignerInfo>());
        signer.CheckSignature(verifySignatureOnly: true);
        Assert.Equal("2.16.840.1.101.3.4.2.1", signer.DigestAlgorithm.Value); // SHA-256

        // The chain travels with the signature: a device that trusts the CA (the profile's root payload) can verify it.
        Assert.Contains(cms.Certificates.Cast<X509Certificate2>(), c => c.RawData.AsSpan().SequenceEqual(Ca.Certificate.RawData));
        Assert.True(TestAuthorities.ChainsTo(signer.Certificate!, Ca.Certificate, TestAuthorities.Start, cms.Certificates));
        Assert.False(TestAuthorities.ChainsTo(signer.Certificate!, TestAuthorities.Foreign.Certificate, TestAuthorities.Start, cms.Certificates));
    }

    [Fact]
    public void SignedProfile_WithAChangedByte_DoesNotVerify()
    {
        var (_, profile) = Build();
        var changed = (byte[])profile.Clone();
        changed[^20] ^= 1;
        var tampered = new SignedCms(new ContentInfo(changed), detached: true);
        tampered.Decode(Ca.Sign(profile));
        Assert.Throws<CryptographicException>(() => tampered.CheckSignature(verifySignatureOnly: true));
    }

    [Fact]
    public void Profile_TopLevel_HasEveryKeyWithItsType()
    {
        var (_, profile) = Build();
        var root = Plist.ReadDict(profile);

        Assert.Equal("Configuration", StringOf(root, "PayloadType"));
        Assert.Equal(1, Assert.IsType<PlistInteger>(root["PayloadVersion"]).Value);
        Assert.Equal($"latch.enrollment.{EnrollmentId}", StringOf(root, "PayloadIdentifier"));
        Assert.True(Guid.TryParse(StringOf(root, "PayloadUUID"), out _));
        Assert.Equal("Latch device management", StringOf(root, "PayloadDisplayName"));
        Assert.Equal("Example Corp", StringOf(root, "PayloadOrganization"));
        Assert.Contains("lock this device", StringOf(root, "PayloadDescription"), StringComparison.Ordinal);
        Assert.Equal("System", StringOf(root, "PayloadScope"));
        Assert.Equal(
            "com.apple.security.root com.apple.security.pkcs12 com.apple.mdm",
            string.Join(' ', Assert.IsType<PlistArray>(root["PayloadContent"]).Items.Cast<PlistDict>().Select(p => StringOf(p, "PayloadType"))));
    }

    [Fact]
    public void Profile_EveryPayload_HasItsOwnUuidIdentifierAndVersion()
    {
        var (_, profile) = Build();
        var root = Plist.ReadDict(profile);
        var payloads = Assert.IsType<PlistArray>(root["PayloadContent"]).Items.Cast<PlistDict>().ToList();

        foreach (var payload in payloads)
        {
            Assert.Equal(1, Assert.IsType<PlistInteger>(payload["PayloadVersion"]).Value);
            Assert.StartsWith($"latch.enrollment.{EnrollmentId}.", StringOf(payload, "PayloadIdentifier"), StringComparison.Ordinal);
            Assert.True(Guid.TryParse(StringOf(payload, "PayloadUUID"), out _));
            Assert.False(string.IsNullOrWhiteSpace(StringOf(payload, "PayloadDisplayName")));
        }

        var uuids = payloads.Select(p => StringOf(p, "PayloadUUID")).Append(StringOf(root, "PayloadUUID")).ToList();
        Assert.Equal(uuids.Count, uuids.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var identifiers = payloads.Select(p => StringOf(p, "PayloadIdentifier")).Append(StringOf(root, "PayloadIdentifier")).ToList();
        Assert.Equal(identifiers.Count, identifiers.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void RootPayload_IsTheCaCertificate()
    {
        var (_, profile) = Build();
        var root = PayloadOfType(Plist.ReadDict(profile), "com.apple.security.root");
        Assert.Equal(Ca.Certificate.RawData, Assert.IsType<PlistData>(root["PayloadContent"]).Value.ToArray());
        Assert.IsType<PlistString>(root["PayloadCertificateFileName"]);
    }

    [Theory]
    [InlineData(DeviceKeyAlgorithm.Rsa2048)]
    [InlineData(DeviceKeyAlgorithm.EcdsaP256)]
    public void Pkcs12Payload_OpensWithItsPassword_AndHoldsTheIdentityWithItsKey(DeviceKeyAlgorithm algorithm)
    {
        var (input, profile) = Build(algorithm);
        var payload = PayloadOfType(Plist.ReadDict(profile), "com.apple.security.pkcs12");
        var password = StringOf(payload, "Password");
        var pkcs12 = Assert.IsType<PlistData>(payload["PayloadContent"]).Value.ToArray();

        Assert.True(password.Length >= 16);
        var certificates = X509CertificateLoader.LoadPkcs12Collection(pkcs12, password);
        var identity = Assert.Single(certificates);
        Assert.Equal(input.Identity.Certificate.RawData, identity.RawData);
        Assert.True(identity.HasPrivateKey);

        // The key inside is the identity's own: what it signs, the profile's certificate verifies.
        var data = "check-in"u8.ToArray();
        if (algorithm == DeviceKeyAlgorithm.Rsa2048)
        {
            var signature = identity.GetRSAPrivateKey()!.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            Assert.True(input.Identity.Certificate.GetRSAPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
        else
        {
            var signature = identity.GetECDsaPrivateKey()!.SignData(data, HashAlgorithmName.SHA256);
            Assert.True(input.Identity.Certificate.GetECDsaPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256));
        }

        Assert.ThrowsAny<CryptographicException>(() => X509CertificateLoader.LoadPkcs12Collection(pkcs12, password + "x"));
    }

    [Fact]
    public void Pkcs12Payload_ProtectsTheKeyWithTripleDesSha1_WhichOlderAppleSystemsRead()
    {
        var (_, profile) = Build();
        var payload = PayloadOfType(Plist.ReadDict(profile), "com.apple.security.pkcs12");
        var password = StringOf(payload, "Password");
        var info = Pkcs12Info.Decode(Assert.IsType<PlistData>(payload["PayloadContent"]).Value, out _);
        Assert.True(info.VerifyMac(password));

        var keyBags = new List<Pkcs12ShroudedKeyBag>();
        foreach (var safe in info.AuthenticatedSafe)
        {
            if (safe.ConfidentialityMode == Pkcs12ConfidentialityMode.Password) safe.Decrypt(password);
            keyBags.AddRange(safe.GetBags().OfType<Pkcs12ShroudedKeyBag>());
        }

        var bag = Assert.Single(keyBags);
        // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
        var algorithm = new AsnReader(bag.EncryptedPkcs8PrivateKey, AsnEncodingRules.BER).ReadSequence().ReadSequence().ReadObjectIdentifier();
        Assert.Equal("1.2.840.113549.1.12.1.3", algorithm); // pbeWithSHAAnd3-KeyTripleDES-CBC
    }

    [Fact]
    public void MdmPayload_PointsAtLatch_WithTheIdentityPayloadAndTheAccessRights()
    {
        var (_, profile) = Build();
        var root = Plist.ReadDict(profile);
        var mdm = PayloadOfType(root, "com.apple.mdm");
        var identity = PayloadOfType(root, "com.apple.security.pkcs12");

        Assert.Equal(StringOf(identity, "PayloadUUID"), StringOf(mdm, "IdentityCertificateUUID"));
        Assert.Equal(Topic, StringOf(mdm, "Topic"));
        Assert.Equal("https://mdm.example.test/mdm/apple/server", StringOf(mdm, "ServerURL"));
        Assert.Equal("https://mdm.example.test/mdm/apple/checkin", StringOf(mdm, "CheckInURL"));
        Assert.True(Assert.IsType<PlistBoolean>(mdm["SignMessage"]).Value);
        Assert.True(Assert.IsType<PlistBoolean>(mdm["CheckOutWhenRemoved"]).Value);

        // 4 lock and passcode removal + 16 device information + 32 network information + 1024 security queries; no erase (8).
        var rights = Assert.IsType<PlistInteger>(mdm["AccessRights"]).Value;
        Assert.Equal(1076, rights);
        Assert.Equal(0, rights & 8);
    }

    [Fact]
    public void TwoProfiles_ForTheSameIdentity_HaveTheirOwnPasswordsAndUuids()
    {
        var (input, first) = Build();
        var second = AppleEnrollmentProfile.Build(input);
        var a = PayloadOfType(Plist.ReadDict(first), "com.apple.security.pkcs12");
        var b = PayloadOfType(Plist.ReadDict(second), "com.apple.security.pkcs12");
        Assert.NotEqual(StringOf(a, "Password"), StringOf(b, "Password"));
        Assert.NotEqual(StringOf(a, "PayloadUUID"), StringOf(b, "PayloadUUID"));
    }

    [Fact]
    public void Build_RelativeUrl_IsRefused()
    {
        var (input, _) = Build(DeviceKeyAlgorithm.EcdsaP256);
        Assert.Throws<ArgumentException>(() => AppleEnrollmentProfile.Build(input with { ServerUrl = new Uri("/mdm", UriKind.Relative) }));
    }
}
