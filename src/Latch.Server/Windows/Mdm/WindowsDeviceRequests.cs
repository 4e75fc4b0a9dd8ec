using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Server.Devices;
using Latch.Server.Windows.Enrollment;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows.Mdm;

/// <summary>A management request whose body was read and whose client certificate is one Latch issued to an enrolment.</summary>
public sealed record WindowsDeviceRequest(byte[] Body, WindowsEnrollment Enrollment, string Thumbprint);

/// <summary>
/// Reads a Windows device's management request and finds out who sent it: the TLS client certificate issued at
/// enrolment (or, only when configured, the certificate a trusted TLS-terminating proxy passes in a header), checked
/// against Latch's device CA and bound to its enrolment. Every refusal is a 4xx with the reason, logged without
/// secrets and audited; nothing else changes.
/// </summary>
public sealed class WindowsDeviceRequests(IServiceProvider services, DeviceCertificateAuthority authority, DeviceIdentities known,
    IOptions<WindowsOptions> options, TimeProvider clock, ILogger<WindowsDeviceRequests> logger)
{
    public async Task<(WindowsDeviceRequest? Request, IResult? Refusal)> ReadAsync(HttpContext http, string contentType)
    {
        if (!DeviceRequests.IsContentType(http.Request, contentType))
            return (null, await RefuseAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"This endpoint takes {contentType}, not '{http.Request.ContentType}'.", null));

        var body = await DeviceRequests.ReadAsync(http.Request, options.Value.MaxMessageBytes, http.RequestAborted);
        if (body is null)
            return (null, await RefuseAsync(http, StatusCodes.Status413PayloadTooLarge, $"The message is larger than {options.Value.MaxMessageBytes} bytes.", null));

        // The connection's own certificate object is used as it is (parsing it again cost ~0.2 ms, a third of an idle session).
        string? problem = null;
        using var fromHeader = http.Connection.ClientCertificate is null ? HeaderCertificate(http, out problem) : null;
        if ((http.Connection.ClientCertificate ?? fromHeader) is not { } presented)
            return (null, await RefuseAsync(http, StatusCodes.Status401Unauthorized,
                problem ?? "No client certificate: every management session is authenticated by the certificate issued at enrolment.", null));
        var thumbprint = DeviceCertificateAuthority.Sha256Thumbprint(presented);
        var now = clock.GetUtcNow();
        if (WindowsEnrollments.Remembered(known, thumbprint) is not { } enrollment)
        {
            // Checked once per certificate: a remembered one was checked when it was first read.
            if (!authority.Issued(presented, now))
                return (null, await RefuseAsync(http, StatusCodes.Status401Unauthorized,
                    presented.NotAfter.ToUniversalTime() < now.UtcDateTime
                        ? "The client certificate has expired; enrol the device again."
                        : "The client certificate was not issued by this Latch server's device CA.", thumbprint));
            enrollment = await services.GetRequiredService<WindowsEnrollments>().FindByCertificateAsync(thumbprint, http.RequestAborted);
            if (enrollment is null)
                return (null, await RefuseAsync(http, StatusCodes.Status401Unauthorized, "The client certificate is not the certificate of any Latch enrolment.", thumbprint));
        }
        else if (enrollment.CertificateNotAfter < now)
        {
            return (null, await RefuseAsync(http, StatusCodes.Status401Unauthorized, "The client certificate has expired; enrol the device again.", thumbprint, enrollment.DeviceId));
        }
        return (new WindowsDeviceRequest(body, enrollment, thumbprint), null);
    }

    // Behind a proxy that is configured to pass it: the certificate in the header (null, with no problem, when there is none).
    private X509Certificate2? HeaderCertificate(HttpContext http, out string? problem)
    {
        problem = null;
        if (options.Value.ClientCertificateHeader is not { Length: > 0 } header || http.Request.Headers[header].FirstOrDefault() is not { Length: > 0 } value)
            return null;
        try
        {
            var text = Uri.UnescapeDataString(value.Trim());
            if (text.StartsWith("Cert=", StringComparison.Ordinal)) text = text[5..].Trim('"'); // Envoy's X-Forwarded-Client-Cert
            return text.Contains("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(Convert.FromBase64String(text));
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException)
        {
            problem = $"The {header} header does not hold a certificate.";
            return null;
        }
    }

    /// <summary>Answers with the status and reason, logs it and records it in the audit trail.</summary>
    public Task<IResult> RefuseAsync(HttpContext http, int status, string reason, string? thumbprint, Guid? deviceId = null) =>
        DeviceRequests.RefuseAsync(http, services.GetRequiredService<LatchDbContext>(), clock, logger, "Windows", status, reason, thumbprint, deviceId);

}
