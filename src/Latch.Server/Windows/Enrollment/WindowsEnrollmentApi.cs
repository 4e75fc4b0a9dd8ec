using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Devices;
using Latch.Server.Windows.Mdm;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows.Enrollment;

/// <summary>
/// MS-MDE2 enrolment, device side: the discovery service (§3.1), the enrolment policy service (§3.3, MS-XCEP) and the
/// enrolment service (§3.4, MS-WSTEP). The user authenticates with their user principal name and a single-use
/// enrolment code: typed into the enrolment's password field (OnPremise) or into Latch's sign-in page, which hands the
/// device a short-lived token (Federated, <see cref="FederatedSignIn"/>). The device's own key signs its PKCS#10; Latch's
/// device CA signs the certificate that then authenticates every management session. A refusal is a SOAP fault with the
/// MS-MDE2 subcode (§2.2.9), logged without secrets and audited; nothing is written.
/// </summary>
public static class WindowsEnrollmentApi
{
    public const string DiscoveryPath = "/EnrollmentServer/Discovery.svc";
    public const string PolicyPath = "/EnrollmentServer/Policy.svc";
    public const string EnrollmentPath = "/EnrollmentServer/Enrollment.svc";

    // The versions MS-MDE2 defines; a device is answered in the version it asked for (§3.1.4.1.1.2: at most the RequestVersion).
    private static readonly string[] Versions = ["1.0", "2.0", "3.0", "4.0", "5.0"];

    public static void MapWindowsEnrollment(this IEndpointRouteBuilder app)
    {
        // §3.1.5.1: before its Discover the device checks, with a GET, that the service is there.
        app.MapGet(DiscoveryPath, () => TypedResults.Ok()).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapPost(DiscoveryPath, DiscoverAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapPost(PolicyPath, GetPoliciesAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapPost(EnrollmentPath, RequestSecurityTokenAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapFederatedSignIn();
    }

    private static async Task<IResult> DiscoverAsync(HttpContext http, IOptions<WindowsOptions> options, WindowsEnrollmentFaults faults)
    {
        var (request, refusal) = await faults.ReadAsync(http, DiscoverRequest.Decode, "Discover");
        if (refusal is not null) return refusal;
        var policy = options.Value.AuthPolicy;
        // A device lists what it can do (AuthPolicies); one that cannot do the configured policy gets the other one it can.
        if (request!.AuthPolicies.Count > 0 && !request.AuthPolicies.Contains(policy, StringComparer.OrdinalIgnoreCase))
            policy = request.AuthPolicies.FirstOrDefault(p => p is EnrollmentAuthPolicies.OnPremise or EnrollmentAuthPolicies.Federated) is { } other
                ? other
                : null!;
        if (policy is null)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authentication,
                $"This server authenticates with OnPremise or Federated; the device offers only {string.Join(", ", request.AuthPolicies)}.", null);
        var version = Versions.LastOrDefault(v => string.CompareOrdinal(v, request.RequestVersion) <= 0) ?? Versions[0];
        var baseUrl = BaseUrl(http, options.Value);
        return Soap(new DiscoverResponse
        {
            RelatesTo = request.MessageId,
            AuthPolicy = policy,
            EnrollmentVersion = version,
            EnrollmentPolicyServiceUrl = baseUrl + PolicyPath.TrimStart('/'),
            EnrollmentServiceUrl = baseUrl + EnrollmentPath.TrimStart('/'),
            AuthenticationServiceUrl = policy == EnrollmentAuthPolicies.Federated ? baseUrl + FederatedSignIn.Path.TrimStart('/') : null,
        }.Encode());
    }

    private static async Task<IResult> GetPoliciesAsync(HttpContext http, WindowsEnrollmentFaults faults, WindowsEnrollmentCredentials credentials)
    {
        var (request, refusal) = await faults.ReadAsync(http, GetPoliciesRequest.Decode, "GetPolicies");
        if (refusal is not null) return refusal;
        var (code, problem) = await credentials.CheckAsync(request!.Credentials, http.RequestAborted);
        if (code is null)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authentication, problem!, null);
        // MS-XCEP §3.1.4.1.3: one policy; the device makes an RSA key of at least this size and signs its request with SHA-256.
        return Soap(new GetPoliciesResponse
        {
            RelatesTo = request.MessageId, PolicyId = "latch-device-enrollment", PolicyFriendlyName = "Latch device enrolment",
            NextUpdateHours = 24, CommonName = "LatchDeviceEnrollment", ValidityPeriodSeconds = 730L * 24 * 3600,
            RenewalPeriodSeconds = 42L * 24 * 3600, PolicyOid = "1.3.6.1.4.1.311.21.8.1.1",
        }.Encode());
    }

    private static async Task<IResult> RequestSecurityTokenAsync(HttpContext http, WindowsEnrollmentFaults faults, WindowsEnrollmentCredentials credentials,
        WindowsEnrollments enrollments, DeviceCertificateAuthority authority, IOptions<WindowsOptions> options, TimeProvider clock)
    {
        var (request, refusal) = await faults.ReadAsync(http, RequestSecurityTokenRequest.Decode, "RequestSecurityToken");
        if (refusal is not null) return refusal;
        if (request!.IsRenewal) return await RenewAsync(http, request, faults, enrollments, authority, options.Value, clock);

        var (code, problem) = await credentials.CheckAsync(request.Credentials, http.RequestAborted);
        if (code is null)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authentication, problem!, null);
        if (request.BinarySecurityTokenValueType != EnrollmentSoap.Pkcs10ValueType)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.CertificateRequest,
                "A new enrolment sends its certificate request as PKCS#10.", null);
        if (request.Context.GetValueOrDefault("DeviceID") is not { Length: > 0 and <= 200 } deviceIdentifier)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.MessageFormat,
                "The request names no DeviceID in its AdditionalContext (MS-MDE2 §3.4.5.1.1.1).", null, EnrollmentErrorTypes.InvalidEnrollmentData);

        var enrolment = new WindowsEnrollmentRequest(
            deviceIdentifier,
            HardwareId: Clip(request.Context.GetValueOrDefault("HWDevID")),
            DeviceType: Clip(request.Context.GetValueOrDefault("DeviceType")),
            OsEdition: Clip(request.Context.GetValueOrDefault("OSEdition")),
            OsVersion: Clip(request.Context.GetValueOrDefault("OSVersion")),
            EnrollmentType: Clip(request.Context.GetValueOrDefault("EnrollmentType")),
            DeviceName: Clip(request.Context.GetValueOrDefault("DeviceName")),
            ProtocolVersion: Clip(request.Context.GetValueOrDefault("ApplicationVersion")),
            AzureAdJoined: WindowsEnrollments.IsAzureAdJoin(request.Context.GetValueOrDefault("EnrollmentType")));
        WindowsEnrolled? enrolled;
        try
        {
            (enrolled, problem) = await enrollments.EnrollAsync(enrolment, code, request.CertificateRequest, http.RequestAborted);
        }
        catch (CertificateRequestException exception)
        {
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.CertificateRequest, exception.Message, null);
        }
        if (enrolled is null)
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authorization, problem!, code.DeviceId);

        using var certificate = enrolled.Certificate.Certificate;
        return Soap(ProvisioningAnswer(request.MessageId, http, options.Value, authority, certificate));
    }

    // Renewal (MS-MDE2 §3.4.5.2 / ROBO): the device's new PKCS#10 inside a PKCS#7 signed with the certificate it renews,
    // or a PKCS#10 over a TLS session authenticated by that certificate. No code: the old certificate is the proof.
    private static async Task<IResult> RenewAsync(HttpContext http, RequestSecurityTokenRequest request, WindowsEnrollmentFaults faults,
        WindowsEnrollments enrollments, DeviceCertificateAuthority authority, WindowsOptions options, TimeProvider clock)
    {
        System.Security.Cryptography.X509Certificates.X509Certificate2? renewing = null;
        ReadOnlyMemory<byte> pkcs10 = request.CertificateRequest;
        try
        {
            if (request.BinarySecurityTokenValueType != EnrollmentSoap.Pkcs10ValueType)
            {
                var cms = new SignedCms();
                cms.Decode(request.CertificateRequest);
                cms.CheckSignature(verifySignatureOnly: true);
                renewing = cms.SignerInfos.Count == 1 ? cms.SignerInfos[0].Certificate : null;
                pkcs10 = cms.ContentInfo.Content;
            }
            else if (http.Connection.ClientCertificate is { } tls)
            {
                renewing = tls;
            }
        }
        catch (CryptographicException exception)
        {
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.CertificateRequest,
                $"The renewal request is not a PKCS#7 signed by the certificate it renews: {exception.Message}", null);
        }
        if (renewing is null || !authority.Issued(renewing, clock.GetUtcNow()))
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authentication,
                "A renewal must be signed with (or sent over TLS with) the device's current Latch certificate, before it expires.", null,
                EnrollmentErrorTypes.NotEligibleToRenew);
        var enrollment = await enrollments.FindByCertificateAsync(DeviceCertificateAuthority.Sha256Thumbprint(renewing), http.RequestAborted);
        if (enrollment is not { State: WindowsEnrollmentState.Enrolled })
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.Authorization,
                "The certificate is not that of a standing Latch enrolment; enrol the device again.", enrollment?.DeviceId, EnrollmentErrorTypes.NotEligibleToRenew);
        DeviceIdentity renewed;
        try
        {
            renewed = await enrollments.RenewAsync(enrollment.Id, pkcs10, http.RequestAborted);
        }
        catch (CertificateRequestException exception)
        {
            return await faults.FaultAsync(http, request.MessageId, EnrollmentFaultSubcodes.CertificateRequest, exception.Message, enrollment.DeviceId);
        }
        using var certificate = renewed.Certificate;
        return Soap(ProvisioningAnswer(request.MessageId, http, options, authority, certificate));
    }

    // The certificate stores name each certificate by its SHA-1 thumbprint, as MS-MDE2 §3.4.4.2's example does.
    private static byte[] ProvisioningAnswer(string relatesTo, HttpContext http, WindowsOptions options, DeviceCertificateAuthority authority,
        System.Security.Cryptography.X509Certificates.X509Certificate2 deviceCertificate)
    {
        var document = WindowsProvisioning.Build(options.ProviderId, BaseUrl(http, options) + WindowsMdmApi.Path.TrimStart('/'),
            authority.Certificate.RawData, deviceCertificate.RawData, deviceCertificate.Thumbprint, options.PollIntervalMinutes, options.PushPackageFamilyName,
            serverName: options.Organization);
        return new RequestSecurityTokenResponse { RelatesTo = relatesTo, ProvisioningDocument = document.Encode() }.Encode();
    }

    /// <summary>Where devices reach the Windows endpoints: the configured public address, or the one this request came in on.</summary>
    public static string BaseUrl(HttpContext http, WindowsOptions options) =>
        options.PublicUrl is { } url ? url.GetLeftPart(UriPartial.Authority) + "/" : $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/";

    private static string? Clip(string? value) => value is null ? null : value.Length <= 200 ? value : value[..200];

    private static SoapBody Soap(byte[] xml) => new(xml, StatusCodes.Status200OK);

    /// <summary>A SOAP 1.2 message as the answer (application/soap+xml; charset=utf-8).</summary>
    internal sealed class SoapBody(byte[] xml, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = EnrollmentSoap.ContentType + "; charset=utf-8";
            http.Response.ContentLength = xml.Length;
            return http.Response.Body.WriteAsync(xml).AsTask();
        }
    }
}

/// <summary>Reads enrolment requests within the size limit and answers refusals as MS-MDE2 SOAP faults, logged and audited.</summary>
public sealed class WindowsEnrollmentFaults(LatchDbContext db, IOptions<WindowsOptions> options, TimeProvider clock, ILogger<WindowsEnrollmentFaults> logger)
{
    public async Task<(T? Message, IResult? Refusal)> ReadAsync<T>(HttpContext http, Func<ReadOnlyMemory<byte>, T> decode, string what) where T : class
    {
        if (!DeviceRequests.IsContentType(http.Request, EnrollmentSoap.ContentType))
            return (null, TypedResults.Text($"This endpoint takes {EnrollmentSoap.ContentType}, not '{http.Request.ContentType}'.",
                statusCode: StatusCodes.Status415UnsupportedMediaType));
        var body = await DeviceRequests.ReadAsync(http.Request, options.Value.MaxMessageBytes, http.RequestAborted);
        if (body is null)
            return (null, await FaultAsync(http, null, EnrollmentFaultSubcodes.MessageFormat, $"The message is larger than {options.Value.MaxMessageBytes} bytes.", null));
        // The user's enrolment code travels in these messages: never over plain HTTP, unless a configured public
        // https address says a TLS-terminating front stands before this server.
        if (!http.Request.IsHttps && options.Value.PublicUrl is null)
            return (null, await FaultAsync(http, null, EnrollmentFaultSubcodes.InvalidSecurity,
                "Enrolment is served over HTTPS only (the Windows device port, or a TLS front with Windows:PublicUrl set).", null));
        try
        {
            return (decode(body), null);
        }
        catch (EnrollmentFormatException exception)
        {
            return (null, await FaultAsync(http, null, EnrollmentFaultSubcodes.MessageFormat, $"The {what} message is not valid: {exception.Message}", null));
        }
    }

    /// <summary>
    /// A SOAP fault as MS-MDE2 §2.2.10 shows it (Code s:Receiver, the subcode naming the cause, the reason in words,
    /// DeviceEnrollmentServiceError when there is an error type), with HTTP 500 as SOAP 1.2 services answer a fault.
    /// </summary>
    public async Task<IResult> FaultAsync(HttpContext http, string? relatesTo, string subcode, string reason, Guid? deviceId, string? errorType = null)
    {
        logger.LogWarning("Refused Windows enrolment request {Path} from {Address}: {Subcode} {Reason}", http.Request.Path.Value,
            http.Connection.RemoteIpAddress, subcode, reason);
        db.AuditEvents.Add(new AuditEvent
        {
            At = clock.GetUtcNow(), Actor = "device", Kind = AuditKinds.DeviceRequestRefused, DeviceId = deviceId,
            Detail = DeviceRequests.Truncate($"POST {http.Request.Path} ({http.Connection.RemoteIpAddress}): {subcode}: {reason}"),
        });
        await db.SaveChangesAsync(http.RequestAborted);
        var fault = new EnrollmentFault
        {
            RelatesTo = relatesTo, Code = "s:Receiver", Subcode = subcode, Reason = reason, ErrorType = errorType, TraceId = http.TraceIdentifier,
        };
        return new WindowsEnrollmentApi.SoapBody(fault.Encode(), StatusCodes.Status500InternalServerError);
    }
}
