using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>What a simulated device takes from the provisioning document it was enrolled with.</summary>
public sealed record WindowsProvisioningInfo(
    string? ProviderId,
    string ManagementUrl,
    byte[]? RootCertificate,
    string? RootThumbprint,
    byte[]? DeviceCertificate,
    string? DeviceThumbprint,
    int? PollIntervalMinutes,
    string? PushPfn);

/// <summary>
/// The standard provisioning document an enrolment answers with (MS-MDE2 §3.4.4.2 and the Windows enrolment
/// article's example): the root into CertificateStore/Root/System, the issued certificate into
/// CertificateStore/My/User with its PrivateKeyContainer, the w7 APPLICATION (the DM server's address and how to
/// pick the client certificate), and the DMClient CSP's polling schedule and push settings for the provider.
/// </summary>
public static class WindowsProvisioning
{
    public const string DocumentVersion = "1.1";

    // DMClient CSP Poll: NumberOfFirstRetries at IntervalForFirstSetOfRetries minutes, then the second set, then
    // NumberOfRemainingScheduledRetries (0 = forever) at IntervalForRemainingScheduledRetries: the steady poll.
    private const int FirstRetries = 8, FirstInterval = 15, SecondRetries = 5, SecondInterval = 3;

    /// <summary>
    /// Builds the document. <paramref name="deviceCertificateStore"/> is "User" as MS-MDE2 shows it; "System" puts
    /// the certificate in the machine store (device-context enrolment). The thumbprints name the characteristics.
    /// Inputs are the server's own, so a certificate that is not DER fails with CryptographicException, not a format error.
    /// </summary>
    public static WapProvisioningDoc Build(
        string providerId,
        string managementUrl,
        byte[] rootCertificate,
        byte[] deviceCertificate,
        string deviceCertificateThumbprint,
        int pollIntervalMinutes,
        string? pushPfn = null,
        string? serverName = null,
        string deviceCertificateStore = "User")
    {
        ArgumentException.ThrowIfNullOrEmpty(providerId);
        ArgumentException.ThrowIfNullOrEmpty(managementUrl);
        ArgumentException.ThrowIfNullOrEmpty(deviceCertificateThumbprint);
        ArgumentOutOfRangeException.ThrowIfLessThan(pollIntervalMinutes, 1);
        ArgumentOutOfRangeException.ThrowIfZero(rootCertificate.Length);
        ArgumentOutOfRangeException.ThrowIfZero(deviceCertificate.Length);

        // The device picks its TLS client certificate by subject and store; the subject is read from the issued certificate.
        string subject;
        using (var certificate = X509CertificateLoader.LoadCertificate(deviceCertificate))
        {
            subject = certificate.Subject;
        }

#pragma warning disable CA5350 // A certificate thumbprint is SHA-1 by definition: it names the store entry, it protects nothing.
        var rootThumbprint = Convert.ToHexString(SHA1.HashData(rootCertificate));
#pragma warning restore CA5350
        var certificateStore = new WapCharacteristic("CertificateStore", [],
        [
            Node("Root", Node("System", new WapCharacteristic(rootThumbprint, [new("EncodedCertificate", Convert.ToBase64String(rootCertificate))], []))),
            Node("My", new WapCharacteristic(deviceCertificateStore, [],
            [
                new WapCharacteristic(deviceCertificateThumbprint, [new("EncodedCertificate", Convert.ToBase64String(deviceCertificate))], []),
                // Required for the document to be accepted, though empty (Windows enrolment article).
                new WapCharacteristic("PrivateKeyContainer", [], []),
            ])),
        ]);

        var application = new WapCharacteristic("APPLICATION",
        [
            new("APPID", "w7"),
            new("PROVIDER-ID", providerId),
            new("NAME", serverName ?? providerId),
            new("ADDR", managementUrl),
            new("CONNRETRYFREQ", "6"),
            new("INITIALBACKOFFTIME", "30000"),
            new("MAXBACKOFFTIME", "120000"),
            new("BACKCOMPATRETRYDISABLED", ""),
            new("DEFAULTENCODING", "application/vnd.syncml.dm+xml"),
            new("SSLCLIENTCERTSEARCHCRITERIA", $"Subject={Uri.EscapeDataString(subject)}&Stores=My%5C{deviceCertificateStore}"),
        ],
        [
            // The w7 CSP wants both credentials; the session is authenticated by the TLS client certificate.
            new("APPAUTH", [new("AAUTHLEVEL", "CLIENT"), new("AAUTHTYPE", "DIGEST"), new("AAUTHSECRET", "unused"), new("AAUTHDATA", "bm9uY2U=")], []),
            new("APPAUTH", [new("AAUTHLEVEL", "APPSRV"), new("AAUTHTYPE", "DIGEST"), new("AAUTHNAME", providerId), new("AAUTHSECRET", "unused"), new("AAUTHDATA", "bm9uY2U=")], []),
        ]);

        var poll = new WapCharacteristic("Poll",
        [
            Integer("NumberOfFirstRetries", FirstRetries),
            Integer("IntervalForFirstSetOfRetries", FirstInterval),
            Integer("NumberOfSecondRetries", SecondRetries),
            Integer("IntervalForSecondSetOfRetries", SecondInterval),
            Integer("NumberOfRemainingScheduledRetries", 0),
            Integer("IntervalForRemainingScheduledRetries", pollIntervalMinutes),
            new("PollOnLogin", "true", "boolean"),
        ], []);
        List<WapCharacteristic> provider = [poll];
        if (pushPfn is not null)
        {
            // DMClient CSP Push: the server sets PFN; the device fills ChannelURI and Status and reports them.
            provider.Add(new WapCharacteristic("Push", [new("PFN", pushPfn, "string")], []));
        }

        var dmClient = Node("DMClient", Node("Provider", new WapCharacteristic(providerId, [], provider)));
        return new WapProvisioningDoc(DocumentVersion, [certificateStore, application, dmClient]);
    }

    /// <summary>Reads back what <see cref="Build"/> writes, and the same layout from other servers.</summary>
    public static WindowsProvisioningInfo Read(WapProvisioningDoc document)
    {
        var application = document.Characteristics.FirstOrDefault(c => c.Type == "APPLICATION" && c.Parm("APPID")?.Value == "w7")
            ?? throw new EnrollmentFormatException("The provisioning document has no w7 APPLICATION characteristic.");
        var address = application.Parm("ADDR")?.Value;
        if (string.IsNullOrEmpty(address))
        {
            throw new EnrollmentFormatException("The w7 APPLICATION characteristic has no ADDR.");
        }

        var providerId = application.Parm("PROVIDER-ID")?.Value;
        var (root, rootThumbprint) = Certificate(document.Find("CertificateStore", "Root", "System"));
        var (device, deviceThumbprint) = Certificate(document.Find("CertificateStore", "My", "User"));
        if (device is null)
        {
            (device, deviceThumbprint) = Certificate(document.Find("CertificateStore", "My", "System"));
        }

        var provider = providerId is null ? null : document.Find("DMClient", "Provider", providerId);
        var interval = provider?.Find("Poll")?.Parm("IntervalForRemainingScheduledRetries")?.Value;
        int? pollMinutes = null;
        if (interval is not null)
        {
            pollMinutes = int.TryParse(interval, NumberStyles.Integer, CultureInfo.InvariantCulture, out var minutes)
                ? minutes
                : throw new EnrollmentFormatException($"IntervalForRemainingScheduledRetries is not an integer: '{EnrollmentXml.Clip(interval)}'.");
        }

        return new WindowsProvisioningInfo(providerId, address, root, rootThumbprint, device, deviceThumbprint, pollMinutes, provider?.Find("Push")?.Parm("PFN")?.Value);
    }

    private static (byte[]? Der, string? Thumbprint) Certificate(WapCharacteristic? store)
    {
        // The thumbprint-named characteristic holding EncodedCertificate; PrivateKeyContainer beside it holds none.
        var entry = store?.Characteristics.FirstOrDefault(c => c.Parm("EncodedCertificate") is not null);
        if (entry is null)
        {
            return (null, null);
        }

        return (EnrollmentXml.Base64(entry.Parm("EncodedCertificate")!.Value, $"EncodedCertificate of '{EnrollmentXml.Clip(entry.Type)}'"), entry.Type);
    }

    private static WapCharacteristic Node(string type, params WapCharacteristic[] children) => new(type, [], children);

    private static WapParm Integer(string name, int value) => new(name, value.ToString(CultureInfo.InvariantCulture), "integer");
}
