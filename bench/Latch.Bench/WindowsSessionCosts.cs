using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Latch.Server.Devices;
using Latch.Server.Windows.Mdm;

namespace Latch.Bench;

/// <summary>
/// What the idle session's own steps cost on one core, in process, without HTTP or TLS (<c>--windows-costs</c>): reading
/// the client certificate from its DER and hashing it, decoding package 1, reading what it says, encoding the Status-only
/// answer. The rest of a session's server time, beside the bare-Kestrel TLS figure, is the endpoint's own plumbing.
/// </summary>
internal static class WindowsSessionCosts
{
    public static void Run(int iterations)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=0123456789ABCDEF0123456789ABCDEF", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var raw = certificate.RawData;
        using var device = new SimulatedWindowsDevice(new Uri("https://127.0.0.1:5443/"), "ada.lovelace@demo.latch.example", "unused",
            new SimulatedWindowsDeviceOptions { EcdsaKey = true });
        var unenrolled = device.CreatePackage1("10000001"); // not enrolled: no management address yet, so one is put in
        var package1 = (unenrolled with { Header = unenrolled.Header with { TargetLocUri = "https://127.0.0.1:5443/ManagementServer/MDM.svc" } }).Encode();
        var decoded = SyncMessage.Decode(package1);
        var answer = new SyncMessage
        {
            Header = new SyncHeader { SessionId = "10000001", MsgId = "1", TargetLocUri = device.DeviceId, SourceLocUri = "https://127.0.0.1:5443/ManagementServer/MDM.svc" },
            Commands = [.. Enumerable.Range(1, 4).Select(i => new SyncStatus
            {
                CmdId = i.ToString(CultureInfo.InvariantCulture), MsgRef = "1", CmdRef = (i - 1).ToString(CultureInfo.InvariantCulture),
                Cmd = i == 1 ? "SyncHdr" : decoded.Commands[i - 2].Name, Data = "200",
            })],
        };
        Console.WriteLine($"Windows idle session, the server's steps in process ({iterations:N0} each, one thread; package 1 {package1.Length} bytes, " +
                          $"answer {answer.Encode().Length} bytes):");
        Console.WriteLine();
        Console.WriteLine("| step | µs each |");
        Console.WriteLine("|---|---:|");
        Measure("client certificate: X509CertificateLoader.LoadCertificate(RawData) + SHA-256 thumbprint", iterations, () =>
        {
            using var presented = X509CertificateLoader.LoadCertificate(raw);
            return DeviceCertificateAuthority.Sha256Thumbprint(presented).Length;
        });
        Measure("… of which X509CertificateLoader.LoadCertificate(RawData) and Dispose", iterations, () =>
        {
            using var presented = X509CertificateLoader.LoadCertificate(raw);
            return 1;
        });
        Measure("… of which the SHA-256 thumbprint of a loaded certificate", iterations, () => DeviceCertificateAuthority.Sha256Thumbprint(certificate).Length);
        Measure("SyncMessage.Decode(package 1)", iterations, () => SyncMessage.Decode(package1).Commands.Count);
        Measure("WindowsMessage.Read(package 1)", iterations, () => WindowsMessage.Read(decoded).Reports.Count);
        Measure("SyncMessage.Encode(the Status-only answer)", iterations, () => answer.Encode().Length);
    }

    private static void Measure(string step, int iterations, Func<int> run)
    {
        for (var i = 0; i < Math.Min(iterations, 20_000); i++) run(); // compiled for good first
        var sink = 0;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < iterations; i++) sink += run();
        var each = Stopwatch.GetElapsedTime(started).TotalMicroseconds / iterations;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {each:F1} |") + (sink == int.MinValue ? " " : ""));
    }
}
