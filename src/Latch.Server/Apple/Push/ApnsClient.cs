using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Latch.Server.Apple.Push;

/// <summary>Who to wake: the device's APNs token (hex), the PushMagic it gave at TokenUpdate, and the topic it listens on.</summary>
public sealed record ApplePushTarget(string DeviceToken, string PushMagic, string Topic);

public enum PushOutcome
{
    /// <summary>APNs accepted the push (200).</summary>
    Sent,

    /// <summary>The token is dead (410, or 400 BadDeviceToken): stop pushing to it until the device sends a new one.</summary>
    TokenInvalid,

    /// <summary>Worth trying again later: 429, 5xx, no answer, or the network failed.</summary>
    RetryLater,

    /// <summary>Refused for good: the certificate, the topic, the request, a server certificate that is not the pinned one, or a malformed target.</summary>
    Refused,

    /// <summary>No push certificate is configured: nothing was sent.</summary>
    Disabled,
}

/// <summary>What became of one push. <paramref name="Reason"/> is APNs' reason string (or our own sentence when nothing was sent).</summary>
public sealed record PushResult(PushOutcome Outcome, string? Reason = null, int? Status = null, string? ApnsId = null)
{
    public static PushResult Disabled { get; } = new(PushOutcome.Disabled, "No push certificate is configured.");
}

/// <summary>
/// Sends MDM wake-ups to APNs with the customer's push certificate as the TLS client certificate
/// (https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns and
/// https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device): HTTP/2 only, one
/// long-lived client whose connections are kept and reused — Apple treats connect-per-push as a denial of service.
/// </summary>
public sealed partial class ApnsClient : IDisposable
{
    /// <summary>The certificate subject attribute that names its APNs topic: userId (UID).</summary>
    public const string TopicAttributeOid = "0.9.2342.19200300.100.1.1";

    private readonly HttpClient? _http;
    private readonly TimeProvider _clock;
    private readonly TimeSpan? _pushExpiration;

    public ApnsClient(IOptions<ApnsOptions> options, TimeProvider clock, ILogger<ApnsClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _clock = clock;
        _pushExpiration = settings.PushExpiration;
        // A trailing slash so "3/device/..." lands under any path the address has.
        BaseAddress = new Uri(settings.BaseUrl.EndsWith('/') ? settings.BaseUrl : settings.BaseUrl + "/");
        Topic = settings.Topic;
        if (!settings.HasCertificate) return;

        var (identity, chain) = settings.LoadCertificate();
        CertificateNotAfter = identity.NotAfter.ToUniversalTime();
        if (TopicOf(identity) is { } topic)
            Topic = topic;
        else
            LogNoTopicInCertificate(logger, identity.Subject, Topic);

        var pin = settings.ServerCertificatePin;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            // APNs caps the streams of one connection; past that a second connection opens rather than requests queueing.
            EnableMultipleHttp2Connections = true,
            // Pings notice a connection APNs dropped before a push is lost on it.
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            KeepAlivePingDelay = TimeSpan.FromMinutes(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            SslOptions = new SslClientAuthenticationOptions
            {
                // The chain goes with the certificate; no client-certificate selection heuristics are involved.
                ClientCertificateContext = SslStreamCertificateContext.Create(identity, chain, offline: true),
                RemoteCertificateValidationCallback = pin is null
                    ? null
                    : (_, certificate, _, _) => certificate is not null
                        && string.Equals(Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())), pin, StringComparison.Ordinal),
            },
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = BaseAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = settings.RequestTimeout,
        };
    }

    /// <summary>False when no push certificate is configured: <see cref="PushAsync"/> then sends nothing.</summary>
    public bool IsEnabled => _http is not null;

    /// <summary>The APNs topic for enrolment profiles: the push certificate's UID, else <see cref="ApnsOptions.Topic"/>.</summary>
    public string Topic { get; }

    public Uri BaseAddress { get; }

    /// <summary>When the push certificate expires (UTC), or null without one.</summary>
    public DateTimeOffset? CertificateNotAfter { get; }

    /// <summary>
    /// One push: <c>POST /3/device/{token}</c> with <c>{"mdm":"PushMagic"}</c>. Never throws for what APNs answers or
    /// for network failures (those are <see cref="PushOutcome.RetryLater"/>); only for <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<PushResult> PushAsync(ApplePushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_http is null) return PushResult.Disabled;
        if (ProblemWith(target) is { } problem) return new PushResult(PushOutcome.Refused, problem);

        // HttpClient's default version applies only to the messages it makes itself, so each push says HTTP/2 again.
        using var request = new HttpRequestMessage(HttpMethod.Post, "3/device/" + target.DeviceToken.ToLowerInvariant())
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ReadOnlyMemoryContent(Payload(target.PushMagic)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("apns-topic", target.Topic);
        request.Headers.TryAddWithoutValidation("apns-push-type", "mdm");
        request.Headers.TryAddWithoutValidation("apns-priority", "10");
        if (_pushExpiration is { } expiration)
            request.Headers.TryAddWithoutValidation("apns-expiration",
                (_clock.GetUtcNow() + expiration).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            var apnsId = response.Headers.TryGetValues("apns-id", out var ids) ? ids.FirstOrDefault() : null;
            if (response.StatusCode == HttpStatusCode.OK) return new PushResult(PushOutcome.Sent, null, status, apnsId);
            var reason = await ReasonAsync(response, cancellationToken) ?? $"HTTP {status}";
            return new PushResult(Classify(status, reason), reason, status, apnsId);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TaskCanceledException)
        {
            return new PushResult(PushOutcome.RetryLater, $"APNs did not answer within {_http.Timeout}.");
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError is HttpRequestError.SecureConnectionError)
        {
            return new PushResult(PushOutcome.Refused, $"TLS with {BaseAddress.Host} failed (server certificate not trusted or not the pinned one, or client certificate refused): {Describe(exception)}");
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError is HttpRequestError.VersionNegotiationError)
        {
            return new PushResult(PushOutcome.Refused, $"{BaseAddress.Host} does not speak HTTP/2: {Describe(exception)}");
        }
        catch (HttpRequestException exception)
        {
            return new PushResult(PushOutcome.RetryLater, Describe(exception));
        }
    }

    /// <summary>Why a target cannot be pushed to, before anything is sent; null when it can.</summary>
    public static string? ProblemWith(ApplePushTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!IsDeviceToken(target.DeviceToken))
            return "The device token is not an APNs token: it must be an even number of hexadecimal characters (at least 32).";
        if (string.IsNullOrEmpty(target.PushMagic)) return "The PushMagic is empty.";
        if (string.IsNullOrWhiteSpace(target.Topic)) return "The topic is empty.";
        return null;
    }

    /// <summary>The topic in a certificate's subject UID, or null.</summary>
    public static string? TopicOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == TopicAttributeOid)
            .Select(rdn => rdn.GetSingleElementValue())
            .FirstOrDefault(value => !string.IsNullOrWhiteSpace(value));
    }

    /// <summary>A short, log-safe form of a token: never log a whole one.</summary>
    public static string Abbreviate(string deviceToken) =>
        deviceToken.Length <= 8 ? "…" : string.Concat(deviceToken.AsSpan(0, 8), "…");

    public void Dispose() => _http?.Dispose();

    // https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
    private static PushOutcome Classify(int status, string reason) => status switch
    {
        410 => PushOutcome.TokenInvalid,
        400 when reason == "BadDeviceToken" => PushOutcome.TokenInvalid,
        400 when reason == "IdleTimeout" => PushOutcome.RetryLater,
        429 => PushOutcome.RetryLater,
        >= 500 => PushOutcome.RetryLater,
        _ => PushOutcome.Refused,
    };

    // HttpClient's own message is generic ("An error occurred while sending the request"); the cause is inside.
    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var current = exception; current is not null; current = current.InnerException) messages.Add(current.Message);
        return string.Join(" → ", messages.Distinct());
    }

    private static bool IsDeviceToken(string? token) =>
        token is { Length: >= 32 and <= 400 } && token.Length % 2 == 0 && token.All(char.IsAsciiHexDigit);

    private static ReadOnlyMemory<byte> Payload(string pushMagic)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("mdm", pushMagic);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static async Task<string?> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0) return null;
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The push certificate '{Subject}' has no UID (topic); using Apple:Apns:Topic '{Topic}'")]
    private static partial void LogNoTopicInCertificate(ILogger logger, string subject, string topic);
}
