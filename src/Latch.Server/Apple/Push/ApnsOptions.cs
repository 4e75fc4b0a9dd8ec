using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Latch.Server.Apple.Push;

/// <summary>
/// LATCH_Apple__Apns__*: where and how MDM wake-ups are pushed. With no <see cref="CertificatePath"/> pushes are off
/// and devices get their commands at their next check-in.
/// </summary>
public sealed class ApnsOptions : IValidatableObject
{
    public const string Section = "Apple:Apns";
    public const string ProductionUrl = "https://api.push.apple.com";
    public const string SandboxUrl = "https://api.sandbox.push.apple.com";
    public const string NoCertificateTopic = "com.apple.mgmt.External.latch-no-push-certificate";

    /// <summary>APNs' address: production (default), <see cref="SandboxUrl"/>, or a local fake.</summary>
    public string BaseUrl { get; set; } = ProductionUrl;

    /// <summary>The MDM push certificate with its private key, a PKCS#12 (.p12/.pfx) file.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>
    /// SHA-256 of the one server certificate to accept (hex; colons allowed), instead of the system's trust store:
    /// for a local fake APNs. Leave empty for Apple's servers.
    /// </summary>
    public string? ServerCertificateSha256 { get; set; }

    /// <summary>The topic used when the push certificate carries no UID, or when there is no certificate (enrolment profiles still need one).</summary>
    public string Topic { get; set; } = NoCertificateTopic;

    /// <summary>Tries per push, the first included, when APNs answers 429 or 5xx or cannot be reached.</summary>
    [Range(1, 20, ErrorMessage = "Apple:Apns:MaxAttempts must be between 1 and 20.")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles per retry (with jitter) up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Pushes in flight at once. One HTTP/2 connection carries them all until APNs' stream limit is reached.</summary>
    [Range(1, 1000, ErrorMessage = "Apple:Apns:MaxConcurrentPushes must be between 1 and 1000.")]
    public int MaxConcurrentPushes { get; set; } = 32;

    /// <summary>Pushes waiting to be sent; past it a push is dropped (the device still gets its command at its next check-in).</summary>
    [Range(1, 10_000_000, ErrorMessage = "Apple:Apns:QueueCapacity must be between 1 and 10000000.")]
    public int QueueCapacity { get; set; } = 200_000;

    /// <summary>How long to wait for APNs' answer to one push before counting it as a network failure (and retrying).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// apns-expiration: how long APNs keeps trying to deliver a push to an offline device. Empty: the header is left
    /// out and APNs applies its own storage policy.
    /// </summary>
    public TimeSpan? PushExpiration { get; set; }

    public bool HasCertificate => !string.IsNullOrWhiteSpace(CertificatePath);

    /// <summary>The pin as upper-case hex without separators, or null.</summary>
    internal string? ServerCertificatePin =>
        string.IsNullOrWhiteSpace(ServerCertificateSha256)
            ? null
            : ServerCertificateSha256.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme != Uri.UriSchemeHttps)
            yield return new ValidationResult(
                $"Apple:Apns:BaseUrl is '{BaseUrl}'; it must be an absolute https address such as {ProductionUrl} or {SandboxUrl}.",
                [nameof(BaseUrl)]);
        if (ServerCertificatePin is { } pin && (pin.Length != 64 || !pin.All(char.IsAsciiHexDigit)))
            yield return new ValidationResult(
                "Apple:Apns:ServerCertificateSha256 must be 64 hexadecimal characters (a SHA-256 of the server certificate).",
                [nameof(ServerCertificateSha256)]);
        if (string.IsNullOrWhiteSpace(Topic))
            yield return new ValidationResult("Apple:Apns:Topic must not be empty.", [nameof(Topic)]);
        if (RetryBaseDelay <= TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromHours(1))
            yield return new ValidationResult("Apple:Apns:RetryBaseDelay must be more than zero and at most 01:00:00.", [nameof(RetryBaseDelay)]);
        if (RetryMaxDelay < RetryBaseDelay)
            yield return new ValidationResult("Apple:Apns:RetryMaxDelay must be at least Apple:Apns:RetryBaseDelay.", [nameof(RetryMaxDelay)]);
        if (RequestTimeout <= TimeSpan.Zero)
            yield return new ValidationResult("Apple:Apns:RequestTimeout must be more than zero.", [nameof(RequestTimeout)]);
        if (PushExpiration < TimeSpan.Zero)
            yield return new ValidationResult("Apple:Apns:PushExpiration must not be negative.", [nameof(PushExpiration)]);
        if (!HasCertificate && !string.IsNullOrEmpty(CertificatePassword))
            yield return new ValidationResult(
                "Apple:Apns:CertificatePassword is set but Apple:Apns:CertificatePath is empty; set the path of the push certificate (.p12).",
                [nameof(CertificatePath)]);
        if (HasCertificate && CertificateProblem() is { } problem)
            yield return new ValidationResult(problem, [nameof(CertificatePath)]);
    }

    /// <summary>The push certificate and its chain from <see cref="CertificatePath"/>: the one with a private key is the identity.</summary>
    internal (X509Certificate2 Identity, X509Certificate2Collection Chain) LoadCertificate()
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(CertificatePath!, CertificatePassword);
        var identity = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new InvalidOperationException($"Apple:Apns:CertificatePath '{CertificatePath}' holds no certificate with a private key.");
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, identity)) chain.Add(certificate);
        }
        return (identity, chain);
    }

    private string? CertificateProblem()
    {
        if (!File.Exists(CertificatePath))
            return $"Apple:Apns:CertificatePath '{CertificatePath}' does not exist.";
        try
        {
            var (identity, chain) = LoadCertificate();
            identity.Dispose();
            foreach (var certificate in chain) certificate.Dispose();
            return null;
        }
        catch (CryptographicException exception)
        {
            return $"Apple:Apns:CertificatePath '{CertificatePath}' could not be read as PKCS#12 with Apple:Apns:CertificatePassword: {exception.Message}";
        }
        catch (InvalidOperationException exception)
        {
            return exception.Message;
        }
    }
}
