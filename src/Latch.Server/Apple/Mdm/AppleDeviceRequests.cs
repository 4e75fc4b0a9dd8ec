using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Protocols.Apple;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;
using Microsoft.Extensions.Options;

namespace Latch.Server.Apple.Mdm;

/// <summary>A device request whose body was read and whose signer is one of our enrolments.</summary>
public sealed record AppleDeviceRequest(byte[] Body, AppleEnrollment Enrollment);

/// <summary>The same, with its body decoded.</summary>
public sealed record AppleDeviceRequest<T>(T Message, AppleEnrollment Enrollment);

/// <summary>
/// Reads a device's request and finds out who sent it: the identity certificate of an enrolment, presented as the
/// TLS client certificate or in the <c>Mdm-Signature</c> header (a detached CMS signature of the body). Every refusal
/// answers 400 — never 401, which can make a device drop its enrolment — and lands in the audit trail without secrets.
/// </summary>
public sealed class AppleDeviceRequests(IServiceProvider services, MdmSignatureVerifier signatures, DeviceIdentities known,
    IOptions<AppleOptions> options, TimeProvider clock, ILogger<AppleDeviceRequests> logger)
{
    // The database is reached only when memory does not answer (an unknown enrolment, a refusal to audit): most device
    // requests then never take a DbContext from the pool.
    /// <summary>The request, or the answer that refuses it.</summary>
    public async Task<(AppleDeviceRequest? Request, IResult? Refusal)> ReadAsync(HttpContext http, string contentType)
    {
        if (!DeviceRequests.IsContentType(http.Request, contentType))
            return (null, TypedResults.Text($"This endpoint takes {contentType}, not '{http.Request.ContentType}'.",
                statusCode: StatusCodes.Status415UnsupportedMediaType));

        var body = await DeviceRequests.ReadAsync(http.Request, options.Value.MaxMessageBytes, http.RequestAborted);
        if (body is null)
            return (null, await RefuseAsync(http, StatusCodes.Status413PayloadTooLarge,
                $"The message is larger than {options.Value.MaxMessageBytes} bytes.", null));

        string thumbprint;
        MdmSigner? signer = null;
        if (http.Connection.ClientCertificate is { } tlsCertificate)
        {
            thumbprint = DeviceCertificateAuthority.Sha256Thumbprint(tlsCertificate);
        }
        else if (signatures.TryVerify(body, http.Request.Headers[MdmSignature.HeaderName].FirstOrDefault(), out signer, out var error))
        {
            thumbprint = signer.Thumbprint;
        }
        else
        {
            return (null, await RefuseAsync(http, StatusCodes.Status400BadRequest, $"The request is not signed by a device identity: {error}", null));
        }

        var enrollment = AppleEnrollments.Remembered(known, thumbprint)
            ?? await services.GetRequiredService<AppleEnrollments>().FindByCertificateAsync(thumbprint, http.RequestAborted);
        if (enrollment is null)
            return (null, await RefuseAsync(http, StatusCodes.Status400BadRequest,
                "The signing certificate is not the identity of any Latch enrolment.", thumbprint));
        if (signer is not null) signatures.Keep(signer);
        return (new AppleDeviceRequest(body, enrollment), null);
    }

    /// <summary>The request with its body decoded, or the answer that refuses it (a malformed body is a 400 naming the problem).</summary>
    public async Task<(AppleDeviceRequest<T>? Request, IResult? Refusal)> ReadAsync<T>(HttpContext http, string contentType,
        Func<ReadOnlyMemory<byte>, T> decode, string what)
    {
        var (request, refusal) = await ReadAsync(http, contentType);
        if (refusal is not null) return (null, refusal);
        try
        {
            return (new AppleDeviceRequest<T>(decode(request!.Body), request.Enrollment), null);
        }
        catch (PlistFormatException exception)
        {
            return (null, await RefuseAsync(http, StatusCodes.Status400BadRequest, $"The {what} is not a valid message: {exception.Message}",
                request!.Enrollment.CertificateThumbprint, request.Enrollment.DeviceId));
        }
    }

    /// <summary>Answers 400 (or the given status) with the reason, logs it and records it in the audit trail.</summary>
    public Task<IResult> RefuseAsync(HttpContext http, int status, string reason, string? thumbprint, Guid? deviceId = null) =>
        DeviceRequests.RefuseAsync(http, services.GetRequiredService<LatchDbContext>(), clock, logger, "Apple", status, reason, thumbprint, deviceId);


}
