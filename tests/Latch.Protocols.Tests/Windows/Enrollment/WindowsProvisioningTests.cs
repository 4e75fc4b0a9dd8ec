using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Protocols.Tests.Windows.Enrollment;

public sealed class WindowsProvisioningTests
{
    private static (byte[] Root, byte[] Device, string Thumbprint) Certificates()
    {
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Latch Test Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        using var deviceKey = RSA.Create(2048);
        var deviceRequest = new CertificateRequest("CN=B5B954E81FBCB94EB79BD08BE625F4EE", deviceKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var device = deviceRequest.Create(root, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(300), [1, 2, 3, 4]);
        return (root.RawData, device.RawData, device.Thumbprint);
    }

    [Fact]
    public void Build_ThenRead_GivesBackEveryInput()
    {
        var (root, device, thumbprint) = Certificates();

        var document = WindowsProvisioning.Build("Latch", "https://latch.example.com/ManagementServer/MDM.svc", root, device, thumbprint, 480, pushPfn: "Latch.Push_8wekyb3d8bbwe");
        var info = WindowsProvisioning.Read(WapProvisioningDoc.Decode(document.Encode()));

        Assert.Equal("Latch", info.ProviderId);
        Assert.Equal("https://latch.example.com/ManagementServer/MDM.svc", info.ManagementUrl);
        Assert.Equal(root, info.RootCertificate);
        Assert.Equal(device, info.DeviceCertificate);
        Assert.Equal(thumbprint, info.DeviceThumbprint);
        Assert.Equal(X509CertificateLoader.LoadCertificate(root).Thumbprint, info.RootThumbprint);
        Assert.Equal(480, info.PollIntervalMinutes);
        Assert.Equal("Latch.Push_8wekyb3d8bbwe", info.PushPfn);
    }

    [Fact]
    public void Build_LaysOutTheCspsAsMsMde2Shows()
    {
        var (root, device, thumbprint) = Certificates();

        var document = WindowsProvisioning.Build("Latch", "https://latch.example.com/mdm", root, device, thumbprint, 60);

        Assert.Equal("1.1", document.Version);
        Assert.Equal(["CertificateStore", "APPLICATION", "DMClient"], document.Characteristics.Select(c => c.Type));
        var user = document.Find("CertificateStore", "My", "User")!;
        Assert.Equal([thumbprint, "PrivateKeyContainer"], user.Characteristics.Select(c => c.Type));
        var application = document.Find("APPLICATION")!;
        Assert.Equal(
            ["APPID", "PROVIDER-ID", "NAME", "ADDR", "CONNRETRYFREQ", "INITIALBACKOFFTIME", "MAXBACKOFFTIME", "BACKCOMPATRETRYDISABLED", "DEFAULTENCODING", "SSLCLIENTCERTSEARCHCRITERIA"],
            application.Parms.Select(p => p.Name));
        Assert.Equal("w7", application.Parm("APPID")!.Value);
        Assert.Equal("application/vnd.syncml.dm+xml", application.Parm("DEFAULTENCODING")!.Value);
        Assert.Equal("Subject=CN%3DB5B954E81FBCB94EB79BD08BE625F4EE&Stores=My%5CUser", application.Parm("SSLCLIENTCERTSEARCHCRITERIA")!.Value);
        Assert.Equal(["CLIENT", "APPSRV"], application.Characteristics.Where(c => c.Type == "APPAUTH").Select(c => c.Parm("AAUTHLEVEL")!.Value));
        var poll = document.Find("DMClient", "Provider", "Latch", "Poll")!;
        Assert.Equal(new WapParm("IntervalForRemainingScheduledRetries", "60", "integer"), poll.Parm("IntervalForRemainingScheduledRetries"));
        Assert.Equal(new WapParm("NumberOfRemainingScheduledRetries", "0", "integer"), poll.Parm("NumberOfRemainingScheduledRetries"));
        Assert.Null(document.Find("DMClient", "Provider", "Latch", "Push"));

        // The w7 CSP is case-sensitive: the text keeps every name exactly.
        var text = document.Encode();
        Assert.Contains("<parm name=\"BACKCOMPATRETRYDISABLED\" />", text.Replace("\"/>", "\" />", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("&amp;Stores=My%5CUser", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SystemStore_PointsTheSearchCriteriaAtIt()
    {
        var (root, device, thumbprint) = Certificates();

        var document = WindowsProvisioning.Build("Latch", "https://e/mdm", root, device, thumbprint, 60, deviceCertificateStore: "System");

        Assert.NotNull(document.Find("CertificateStore", "My", "System", thumbprint));
        Assert.EndsWith("Stores=My%5CSystem", document.Find("APPLICATION")!.Parm("SSLCLIENTCERTSEARCHCRITERIA")!.Value, StringComparison.Ordinal);
        Assert.Equal(device, WindowsProvisioning.Read(document).DeviceCertificate);
    }

    [Fact]
    public void Build_InsideAnRstr_ReachesTheSimulatorIntact()
    {
        var (root, device, thumbprint) = Certificates();
        var document = WindowsProvisioning.Build("Latch", "https://e/mdm", root, device, thumbprint, 15);

        var rstr = RequestSecurityTokenResponse.Decode(new RequestSecurityTokenResponse { RelatesTo = "urn:uuid:9", ProvisioningDocument = document.Encode() }.Encode());
        var info = WindowsProvisioning.Read(rstr.ReadProvisioningDocument());

        Assert.Equal(device, info.DeviceCertificate);
        Assert.Equal(15, info.PollIntervalMinutes);
    }
}
