using System.Security.Cryptography.X509Certificates;
using Latch.Server.Devices;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows;

/// <summary>
/// The TLS server certificate of the Windows device port: issued by Latch's device CA at first use (per process, never
/// stored), for the configured host names. Windows devices trust it because their provisioning document installs that CA.
/// </summary>
public sealed class DevicePortCertificate(DeviceCertificateAuthority authority, IOptions<WindowsOptions> options) : IDisposable
{
    private readonly Lazy<X509Certificate2> _certificate = new(() => authority.IssueServerCertificate(
        options.Value.DevicePortHostNames is { Length: > 0 } names ? names : ["localhost", "127.0.0.1", Environment.MachineName]));

    public X509Certificate2 Certificate => _certificate.Value;

    public void Dispose()
    {
        if (_certificate.IsValueCreated) _certificate.Value.Dispose();
    }

    /// <summary>
    /// Opens the device port when <see cref="WindowsOptions.DevicePort"/> is set: HTTPS with this certificate, asking every
    /// client for a certificate (the management endpoint requires one; enrolment has none yet, so it is optional at the TLS layer).
    /// </summary>
    /// <param name="urls">The server's own addresses (<c>--urls</c>, ASPNETCORE_URLS): Kestrel binds only what code lists once code lists one, so they are listed here too.</param>
    public static void Listen(KestrelServerOptions kestrel, IConfiguration configuration, string? urls)
    {
        var section = configuration.GetSection(WindowsOptions.Section);
        if (section.GetValue<int?>(nameof(WindowsOptions.DevicePort)) is not { } port) return;
        foreach (var url in (urls ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = BindingAddress.Parse(url);
            Action<ListenOptions> configure = address.Scheme == "https" ? listen => listen.UseHttps() : _ => { };
            if (address.Host == "localhost") kestrel.ListenLocalhost(address.Port, configure);
            else if (System.Net.IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip)) kestrel.Listen(ip, address.Port, configure);
            else kestrel.ListenAnyIP(address.Port, configure); // *, + or a host name: every interface, as Kestrel binds those
        }
        kestrel.ListenAnyIP(port, listen => listen.UseHttps(HttpsOptions(kestrel)));
    }

    /// <summary>HTTPS with this certificate, asking every client for a certificate, accepting any at the TLS layer.</summary>
    public static HttpsConnectionAdapterOptions HttpsOptions(KestrelServerOptions kestrel) => new()
    {
        ServerCertificateSelector = (_, _) => kestrel.ApplicationServices.GetRequiredService<DevicePortCertificate>().Certificate,
        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
        // Issued by Latch's own CA, not a public one: the management endpoint checks it (WindowsDeviceRequests).
        ClientCertificateValidation = (_, _, _) => true,
    };
}
