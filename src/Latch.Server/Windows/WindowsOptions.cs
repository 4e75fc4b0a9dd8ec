using System.ComponentModel.DataAnnotations;

namespace Latch.Server.Windows;

/// <summary>Settings of the Windows MDM channel (section <c>Windows</c>, variables <c>LATCH_Windows__...</c>).</summary>
public sealed class WindowsOptions : IValidatableObject
{
    public const string Section = "Windows";

    /// <summary>
    /// The https address Windows devices reach this server's device port at (for example https://enterpriseenrollment.example.com),
    /// written into Discovery answers and the provisioning document. Unset: the address the request came in on.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>
    /// A TCP port on which Latch serves its Windows endpoints over HTTPS with a server certificate from its own device
    /// CA, asking for TLS client certificates (the management sessions need them). Unset: no extra port; serve the
    /// Windows endpoints through your own HTTPS front (Kestrel certificate, or a proxy with <see cref="ClientCertificateHeader"/>).
    /// 0 picks a free port (tests).
    /// </summary>
    [Range(0, 65535)]
    public int? DevicePort { get; set; }

    /// <summary>Host names and addresses the device port's certificate names. Default: localhost, 127.0.0.1 and this machine's name.</summary>
    public string[]? DevicePortHostNames { get; set; }

    /// <summary>
    /// Behind a TLS-terminating proxy: the request header the proxy puts the client certificate in (PEM or base64 DER,
    /// URL-encoded or not, as nginx's <c>$ssl_client_escaped_cert</c> and Envoy's <c>X-Forwarded-Client-Cert</c>'s Cert= give it).
    /// Off by default: a header is believed only when you configure one, and then the proxy must strip it from what clients send.
    /// </summary>
    public string? ClientCertificateHeader { get; set; }

    /// <summary>How devices authenticate at enrolment: OnPremise (user principal name + enrolment code) or Federated (Latch's sign-in page).</summary>
    [RegularExpression("^(OnPremise|Federated)$")]
    public string AuthPolicy { get; set; } = "OnPremise";

    /// <summary>The DMClient provider id written into the provisioning document (DMClient/Provider/{ProviderId}).</summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,64}$")]
    public string ProviderId { get; set; } = "Latch";

    /// <summary>How often enrolled devices open a session on their own (DMClient Poll), in minutes.</summary>
    [Range(1, 1440)]
    public int PollIntervalMinutes { get; set; } = 15;

    /// <summary>The WNS package family name devices register their push channel for (DMClient Push/PFN). Unset: no push, devices poll.</summary>
    public string? PushPackageFamilyName { get; set; }

    /// <summary>Largest SyncML or SOAP message accepted, in bytes.</summary>
    [Range(4_096, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 512 * 1024;

    /// <summary>Commands handed to a device in one SyncML message.</summary>
    [Range(1, 100)]
    public int MaxCommandsPerMessage { get; set; } = 10;

    /// <summary>Shown to users while enrolling.</summary>
    [Required]
    public string Organization { get; set; } = "Latch";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicUrl is { } url && (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps))
            yield return new ValidationResult("Windows:PublicUrl must be an absolute https address: Windows enrols and manages only over TLS.", [nameof(PublicUrl)]);
    }
}
