using System.Text;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class ProfileTests : IDisposable
{
    private static readonly Uri Server = new("https://latch.example/");
    private readonly TestPki _pki = new();

    [Fact]
    public void Read_GoodProfile_GivesTheMdmPayloadAndTheIdentity()
    {
        using var profile = AppleEnrollmentProfile.Read(_pki.Profile(Server));

        Assert.Equal(TestPki.Topic, profile.Topic);
        Assert.Equal(new Uri("https://latch.example/mdm/server"), profile.ServerUrl);
        Assert.Equal(new Uri("https://latch.example/mdm/checkin"), profile.CheckInUrl);
        Assert.True(profile.SignMessage);
        Assert.Equal(8191, profile.AccessRights);
        Assert.True(profile.CheckOutWhenRemoved);
        Assert.True(profile.Identity.HasPrivateKey);
        Assert.True(_pki.Issued(profile.Identity));
        Assert.Equal(_pki.Ca.Thumbprint, Assert.Single(profile.RootCertificates).Thumbprint);
        Assert.Equal(_pki.Ca.Thumbprint, profile.SignerCertificate.Thumbprint);
    }

    [Fact]
    public void Read_TamperedProfile_IsRefused()
    {
        var profile = _pki.Profile(Server);
        var at = IndexOf(profile, "latch.example/mdm/server"u8);
        profile[at] = (byte)'m';   // latch.example → match.example: another server, same signature

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(profile));

        Assert.Contains("signature does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TamperedProfile_IsRefusedByTheDevice()
    {
        var profile = _pki.Profile(Server);
        profile[IndexOf(profile, "com.apple.mdm"u8) + 4] ^= 0x20;
        using var http = new HttpClient();

        Assert.Throws<AppleProfileException>(() => new SimulatedAppleDevice(profile, AppleDeviceKind.IPhone, http));
    }

    [Fact]
    public void Read_UnsignedPlist_IsRefused()
    {
        var plist = Plist.Write(new PlistDict([new("PayloadContent", new PlistArray([]))]));

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(plist));

        Assert.Contains("not a CMS SignedData", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongPkcs12Password_IsRefused()
    {
        var profile = _pki.Profile(Server, edit: plist => Edit(plist, "com.apple.security.pkcs12", "Password", new PlistString("wrong")));

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(profile));

        Assert.Contains("PKCS#12", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_IdentityUuidNamingNoPayload_IsRefused()
    {
        var profile = _pki.Profile(Server, edit: plist => Edit(plist, "com.apple.mdm", "IdentityCertificateUUID", new PlistString("NOPE")));

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(profile));

        Assert.Contains("'NOPE'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ProfileWithoutMdmPayload_IsRefused()
    {
        var profile = _pki.Profile(Server, edit: plist => new PlistDict(plist.Entries.Select(e => e.Key == "PayloadContent"
            ? new KeyValuePair<string, PlistValue>(e.Key, new PlistArray(((PlistArray)e.Value).Items.Where(p => Type(p) != "com.apple.mdm")))
            : e)));

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(profile));

        Assert.Contains("com.apple.mdm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RelativeServerUrl_IsRefused()
    {
        var profile = _pki.Profile(Server, edit: plist => Edit(plist, "com.apple.mdm", "ServerURL", new PlistString("/mdm/server")));

        var error = Assert.Throws<AppleProfileException>(() => AppleEnrollmentProfile.Read(profile));

        Assert.Contains("ServerURL", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _pki.Dispose();

    private static string? Type(PlistValue payload) =>
        ((PlistDict)payload).TryGetValue("PayloadType", out var type) ? ((PlistString)type).Value : null;

    private static PlistDict Edit(PlistDict profile, string payloadType, string key, PlistValue value) =>
        new(profile.Entries.Select(e => e.Key != "PayloadContent" ? e : new KeyValuePair<string, PlistValue>(e.Key, new PlistArray(
            ((PlistArray)e.Value).Items.Select(p => Type(p) != payloadType ? p : new PlistDict(
                ((PlistDict)p).Entries.Select(k => k.Key == key ? new KeyValuePair<string, PlistValue>(key, value) : k)))))));

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle)
    {
        var at = haystack.AsSpan().IndexOf(needle);
        Assert.True(at >= 0, $"'{Encoding.ASCII.GetString(needle)}' is not in the profile.");
        return at;
    }
}
