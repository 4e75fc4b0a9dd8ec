using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows.Push;

public enum WnsOutcome
{
    /// <summary>WNS accepted the notification (200); <see cref="WnsResult.Detail"/> carries its X-WNS-Status.</summary>
    Delivered,

    /// <summary>WNS throttled the channel (406), or it is still inside the back-off that followed: try later, see <see cref="WnsResult.RetryAfter"/>.</summary>
    Throttled,

    /// <summary>The channel is gone (410 expired, 404 unknown): stop pushing to it until the device sends a new channel URI.</summary>
    ChannelGone,

    /// <summary>Refused for good: credentials, the request, the channel URI or the payload. Retrying the same push will not help.</summary>
    Refused,

    /// <summary>No answer, a network failure, or a WNS server error (5xx): worth trying again later.</summary>
    Unreachable,

    /// <summary>No PackageSid and ClientSecret are configured: nothing was sent.</summary>
    NotConfigured,
}

/// <summary>
/// What became of one push. <paramref name="StatusCode"/> is null when no notification request was made (refused
/// before sending, inside a back-off, or the token could not be had). <paramref name="Detail"/> is WNS' own words
/// (X-WNS-Status, X-WNS-Error-Description, …) or our sentence; never the access token or the secret.
/// </summary>
public sealed record WnsResult(WnsOutcome Outcome, int? StatusCode, string? Detail, TimeSpan? RetryAfter = null)
{
    public static WnsResult NotConfigured { get; } =
        new(WnsOutcome.NotConfigured, null, "WNS push is off: Windows:Wns:PackageSid and Windows:Wns:ClientSecret are not configured.");
}

/// <summary>
/// Sends raw notifications to Windows devices through Windows Push Notification Services. One instance per process:
/// it holds one access token for every sender and one pool of HTTP/1.1 keep-alive connections.
/// <list type="bullet">
/// <item>Token: OAuth 2.0 client credentials
/// (https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/wns-overview#authenticating-your-cloud-service,
/// https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#access-token-request).</item>
/// <item>Notification: <c>POST {channel URI}</c> with <c>X-WNS-Type: wns/raw</c>
/// (https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/raw-notification-overview,
/// https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#send-notification-request).</item>
/// </list>
/// Trust: the system's store, or the one certificate pinned by <see cref="WnsOptions.ServerCertificateSha256"/> (a
/// local fake). Channel URIs are https only, also for a fake: there is no plain-http path to leave open by mistake.
/// </summary>
public sealed partial class WnsClient : IDisposable
{
    /// <summary>The largest raw payload WNS takes: "5 KB", which its 413 answer states as 5000 bytes.</summary>
    public const int MaxRawPayloadBytes = 5000;

    /// <summary>Channel URIs longer than this are refused; WNS' own are a few hundred characters.</summary>
    public const int MaxChannelUriLength = 2048;

    // A refused or unreachable token endpoint is remembered this long, so a burst of sends does not hammer it.
    internal static readonly TimeSpan TokenFailureHold = TimeSpan.FromSeconds(15);

    // Past this many back-offs, expired ones are swept out (one per throttled channel).
    private const int BackoffSweepThreshold = 10_000;

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromDays(1);

    private readonly HttpClient? _http;
    private readonly TimeProvider _clock;
    private readonly ILogger<WnsClient> _logger;
    private readonly string? _packageSid;
    private readonly string? _clientSecret;
    private readonly Uri _tokenEndpoint;
    private readonly string _scope;
    private readonly string[] _allowedHosts;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _throttleBackoff;
    private readonly TimeSpan _throttleBackoffMax;
    private readonly TimeSpan _tokenRefreshMargin;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private readonly ConcurrentDictionary<string, Backoff> _backoffs = new(StringComparer.Ordinal);
    private AccessToken? _token;
    private TokenFailure? _tokenFailure; // read and written under _tokenGate only

    public WnsClient(IOptions<WnsOptions> options, TimeProvider clock, ILogger<WnsClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(logger);
        var settings = options.Value;
        _clock = clock;
        _logger = logger;
        _packageSid = settings.PackageSid;
        _clientSecret = settings.ClientSecret;
        _tokenEndpoint = settings.TokenEndpoint;
        _scope = settings.Scope;
        _allowedHosts = [.. (settings.AllowedChannelHostSuffixes ?? []).Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim())];
        _timeout = settings.Timeout;
        _throttleBackoff = settings.ThrottleBackoff;
        _throttleBackoffMax = settings.ThrottleBackoffMax;
        _tokenRefreshMargin = settings.TokenRefreshMargin;
        if (!settings.IsConfigured) return;

        var pin = settings.ServerCertificatePin;
        var handler = new SocketsHttpHandler
        {
            // Channel hosts are many and move; recycling connections now and then follows DNS without connect-per-push.
            PooledConnectionLifetime = TimeSpan.FromMinutes(15),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = settings.Timeout,
            // The channel URI was checked against the allowed hosts; a redirect would step around that check.
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = pin is null
                    ? null
                    : (_, certificate, _, _) => certificate is not null
                        && string.Equals(Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())), pin, StringComparison.Ordinal),
            },
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Timeout = settings.Timeout,
        };
    }

    /// <summary>False without PackageSid and ClientSecret: <see cref="SendRawAsync"/> then answers NotConfigured and sends nothing.</summary>
    public bool IsConfigured => _http is not null;

    /// <summary>
    /// Whether a channel URI a device reported may be pushed to: absolute, https, no user info, at most
    /// <see cref="MaxChannelUriLength"/> characters, and its host one of <see cref="WnsOptions.AllowedChannelHostSuffixes"/>
    /// (WNS overview: the channel URI is an interface the cloud service must handle with safe web standards; only WNS'
    /// own hosts are pushed to, so a device cannot make the server POST to anywhere else). <paramref name="whyNot"/>
    /// names the host at most, never the URI's token.
    /// </summary>
    public bool IsValidChannelUri(string? channelUri, out Uri? uri, out string? whyNot)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(channelUri))
        {
            whyNot = "The channel URI is empty.";
            return false;
        }
        if (channelUri.Length > MaxChannelUriLength)
        {
            whyNot = $"The channel URI is {channelUri.Length} characters; at most {MaxChannelUriLength} are taken.";
            return false;
        }
        if (!Uri.TryCreate(channelUri, UriKind.Absolute, out var parsed) || parsed.IsFile || parsed.IsUnc)
        {
            whyNot = "The channel URI is not an absolute URI.";
            return false;
        }
        if (parsed.Scheme != Uri.UriSchemeHttps)
        {
            whyNot = $"The channel URI's scheme is '{parsed.Scheme}'; WNS channels are https.";
            return false;
        }
        if (parsed.UserInfo.Length > 0)
        {
            whyNot = "The channel URI carries user information; WNS channels do not.";
            return false;
        }
        var host = parsed.IdnHost;
        if (!IsAllowedHost(host))
        {
            whyNot = $"The channel URI's host '{host}' is not a WNS host (allowed: {string.Join(", ", _allowedHosts)}).";
            return false;
        }
        uri = parsed;
        whyNot = null;
        return true;
    }

    /// <summary>
    /// One raw notification to one channel. Never throws for what WNS answers or for network failures; only for
    /// <paramref name="cancellationToken"/>. A 401 (token expired or revoked) gets one new token and one retry.
    /// </summary>
    public async Task<WnsResult> SendRawAsync(string channelUri, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (_http is null) return WnsResult.NotConfigured;
        if (!IsValidChannelUri(channelUri, out var uri, out var whyNot))
        {
            LogChannelRefused(_logger, whyNot!);
            return new WnsResult(WnsOutcome.Refused, null, whyNot);
        }
        if (payload.Length > MaxRawPayloadBytes)
            return new WnsResult(WnsOutcome.Refused, null,
                $"The raw payload is {payload.Length} bytes; WNS takes at most {MaxRawPayloadBytes}.");

        var channel = uri!.AbsoluteUri;
        var now = _clock.GetUtcNow();
        if (_backoffs.TryGetValue(channel, out var backoff) && now < backoff.Until)
        {
            LogStillBackingOff(_logger, uri.IdnHost, Fingerprint(channel), backoff.Until);
            return new WnsResult(WnsOutcome.Throttled, null,
                $"Backing off after WNS throttled this channel; no request until {backoff.Until:O}.", backoff.Until - now);
        }

        var (token, failure) = await AccessTokenAsync(cancellationToken);
        if (failure is not null) return failure;
        var result = await NotifyAsync(uri, payload, token!.Value, cancellationToken);
        if (result.StatusCode == (int)HttpStatusCode.Unauthorized)
        {
            // https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#response-codes
            // 401: the token expired or is invalid; authenticate again. Once: a second 401 on a fresh token is not a token age problem.
            Interlocked.CompareExchange(ref _token, null, token);
            (token, failure) = await AccessTokenAsync(cancellationToken);
            if (failure is not null) return failure;
            result = await NotifyAsync(uri, payload, token!.Value, cancellationToken);
            if (result.StatusCode == (int)HttpStatusCode.Unauthorized)
                result = result with { Detail = "WNS refused a freshly issued access token. " + result.Detail };
        }

        switch (result.Outcome)
        {
            case WnsOutcome.Delivered:
                _backoffs.TryRemove(channel, out _);
                break;
            case WnsOutcome.Throttled:
                result = result with { RetryAfter = BackOff(channel, result.RetryAfter) };
                LogNotDelivered(_logger, uri.IdnHost, Fingerprint(channel), result.Outcome, result.StatusCode, result.Detail);
                break;
            default:
                LogNotDelivered(_logger, uri.IdnHost, Fingerprint(channel), result.Outcome, result.StatusCode, result.Detail);
                break;
        }
        return result;
    }

    /// <summary>A short, log-safe name for a channel URI (its query carries the channel's token): 12 hex digits of its SHA-256.</summary>
    public static string Fingerprint(string channelUri)
    {
        ArgumentNullException.ThrowIfNull(channelUri);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(channelUri)))[..12];
    }

    public void Dispose()
    {
        _http?.Dispose();
        _tokenGate.Dispose();
    }

    private bool IsAllowedHost(string host)
    {
        foreach (var entry in _allowedHosts)
        {
            var matches = entry.StartsWith('.')
                ? host.Length > entry.Length && host.EndsWith(entry, StringComparison.OrdinalIgnoreCase)
                : string.Equals(host, entry, StringComparison.OrdinalIgnoreCase);
            if (matches) return true;
        }
        return false;
    }

    // ---- The access token ----

    /// <summary>The cached token, or one new one shared by every sender waiting: one token request at a time.</summary>
    private async Task<(AccessToken? Token, WnsResult? Failure)> AccessTokenAsync(CancellationToken cancellationToken)
    {
        if (Usable(Volatile.Read(ref _token)) is { } cached) return (cached, null);
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            // Whoever held the gate before may have fetched one already.
            if (Usable(Volatile.Read(ref _token)) is { } fetched) return (fetched, null);
            if (_tokenFailure is { } remembered && _clock.GetUtcNow() < remembered.Until) return (null, remembered.Result);
            var (token, failure) = await FetchTokenAsync(cancellationToken);
            if (token is not null)
            {
                Volatile.Write(ref _token, token);
                _tokenFailure = null;
                return (token, null);
            }
            _tokenFailure = new TokenFailure(failure!, _clock.GetUtcNow() + TokenFailureHold);
            LogTokenFailed(_logger, _tokenEndpoint.IdnHost, failure!.Outcome, failure.StatusCode, failure.Detail);
            return (null, failure);
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private AccessToken? Usable(AccessToken? token) => token is not null && _clock.GetUtcNow() < token.RefreshAt ? token : null;

    // https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#access-token-request
    // A form POST of grant_type, client_id, client_secret and scope; 200 with {access_token, token_type, expires_in},
    // otherwise an OAuth 2.0 error (RFC 6749 §5.2: {error, error_description}).
    private async Task<(AccessToken? Token, WnsResult? Failure)> FetchTokenAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenEndpoint)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"),
                new("client_id", _packageSid!),
                new("client_secret", _clientSecret!),
                new("scope", _scope),
            ]),
        };
        try
        {
            using var response = await _http!.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var oauthError = OAuthError(body);
                var detail = Redact($"The WNS token endpoint {_tokenEndpoint.IdnHost} answered HTTP {status}"
                    + (oauthError is null ? "" : ": " + oauthError)
                    + (status is 400 or 401 or 403 ? $" (check Windows:Wns:PackageSid '{_packageSid}' and Windows:Wns:ClientSecret)." : "."));
                var outcome = status is 408 or 429 or >= 500 ? WnsOutcome.Unreachable : WnsOutcome.Refused;
                return (null, new WnsResult(outcome, status, detail, RetryAfter(response)));
            }
            return ParseToken(body) is { } token
                ? (token, null)
                : (null, new WnsResult(WnsOutcome.Refused, status,
                    $"The WNS token endpoint {_tokenEndpoint.IdnHost} answered 200 without a bearer access_token."));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TaskCanceledException)
        {
            return (null, new WnsResult(WnsOutcome.Unreachable, null, $"The WNS token endpoint {_tokenEndpoint.IdnHost} did not answer within {_timeout}."));
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError is HttpRequestError.SecureConnectionError)
        {
            return (null, new WnsResult(WnsOutcome.Refused, null,
                $"TLS with the WNS token endpoint {_tokenEndpoint.IdnHost} failed (server certificate not trusted or not the pinned one): {Describe(exception)}"));
        }
        catch (HttpRequestException exception)
        {
            return (null, new WnsResult(WnsOutcome.Unreachable, null, $"The WNS token endpoint {_tokenEndpoint.IdnHost}: {Describe(exception)}"));
        }
    }

    private AccessToken? ParseToken(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("access_token", out var value) || value.ValueKind != JsonValueKind.String
                || value.GetString() is not { Length: > 0 } accessToken)
                return null;
            // token_type is optional and always "bearer" when present.
            if (root.TryGetProperty("token_type", out var type)
                && !(type.ValueKind == JsonValueKind.String && string.Equals(type.GetString(), "bearer", StringComparison.OrdinalIgnoreCase)))
                return null;
            // expires_in is seconds; WNS sends 86400. Without one the token is used an hour, then replaced.
            var lifetime = TimeSpan.FromHours(1);
            if (root.TryGetProperty("expires_in", out var expires))
            {
                long seconds = 0;
                var parsed = expires.ValueKind switch
                {
                    JsonValueKind.Number => expires.TryGetInt64(out seconds),
                    JsonValueKind.String => long.TryParse(expires.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds),
                    _ => false,
                };
                if (parsed && seconds > 0) lifetime = TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(30).TotalSeconds));
            }
            var margin = _tokenRefreshMargin < lifetime / 2 ? _tokenRefreshMargin : lifetime / 2;
            return new AccessToken(accessToken, _clock.GetUtcNow() + lifetime - margin);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? OAuthError(byte[] body)
    {
        if (body.Length == 0) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            var description = root.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            return (error, description) switch
            {
                (null, null) => null,
                (_, null) => error,
                (null, _) => description,
                _ => $"{error} ({description})",
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // ---- The notification ----

    // https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#send-notification-request
    // and #response-codes.
    private async Task<WnsResult> NotifyAsync(Uri channel, ReadOnlyMemory<byte> payload, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, channel) { Content = new ReadOnlyMemoryContent(payload) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.TryAddWithoutValidation("X-WNS-Type", "wns/raw");
        // Raw notifications are application/octet-stream (raw-notification-overview); Content-Length is required and set from the payload.
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        try
        {
            using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            var outcome = status switch
            {
                200 => WnsOutcome.Delivered,
                404 or 410 => WnsOutcome.ChannelGone, // 404: not a channel WNS knows; 410: the channel expired
                406 or 429 => WnsOutcome.Throttled,   // WNS throttles with 406 Not Acceptable
                >= 500 => WnsOutcome.Unreachable,     // 500 internal error, 503 service unavailable
                _ => WnsOutcome.Refused,              // 400 bad headers, 401 token, 403 not this app's channel, 405, 413 too large
            };
            return new WnsResult(outcome, status, Redact(Detail(response)), RetryAfter(response));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TaskCanceledException)
        {
            return new WnsResult(WnsOutcome.Unreachable, null, $"{channel.IdnHost} did not answer within {_timeout}.");
        }
        catch (HttpRequestException exception) when (exception.HttpRequestError is HttpRequestError.SecureConnectionError)
        {
            return new WnsResult(WnsOutcome.Refused, null,
                $"TLS with {channel.IdnHost} failed (server certificate not trusted or not the pinned one): {Describe(exception)}");
        }
        catch (HttpRequestException exception)
        {
            return new WnsResult(WnsOutcome.Unreachable, null, $"{channel.IdnHost}: {Describe(exception)}");
        }
    }

    // The response headers WNS documents for troubleshooting; X-WNS-NotificationStatus is the older name of X-WNS-Status.
    private static readonly string[] DetailHeaders =
        ["X-WNS-Status", "X-WNS-NotificationStatus", "X-WNS-DeviceConnectionStatus", "X-WNS-Error-Description", "X-WNS-Msg-ID", "X-WNS-Debug-Trace", "WWW-Authenticate"];

    private static string Detail(HttpResponseMessage response)
    {
        var parts = new List<string>();
        if (response.StatusCode != HttpStatusCode.OK) parts.Add($"HTTP {(int)response.StatusCode}");
        foreach (var name in DetailHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values)) parts.Add($"{name}: {string.Join(",", values)}");
        }
        return parts.Count == 0 ? "HTTP 200" : string.Join("; ", parts);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - _clock.GetUtcNow() : null);
        return wait > TimeSpan.Zero ? (wait > MaxRetryAfter ? MaxRetryAfter : wait) : null;
    }

    /// <summary>Starts or lengthens a channel's back-off: Retry-After when WNS gave one, else doubling per 406 in a row.</summary>
    private TimeSpan BackOff(string channel, TimeSpan? retryAfter)
    {
        var now = _clock.GetUtcNow();
        var backoff = _backoffs.AddOrUpdate(channel,
            _ => Next(0),
            (_, previous) => Next(previous.Strikes));
        if (_backoffs.Count > BackoffSweepThreshold)
        {
            foreach (var (key, value) in _backoffs)
            {
                if (value.Until <= now) _backoffs.TryRemove(new KeyValuePair<string, Backoff>(key, value));
            }
        }
        return backoff.Until - now;

        Backoff Next(int strikes)
        {
            var doubled = _throttleBackoff * Math.Pow(2, Math.Min(strikes, 30));
            var window = retryAfter ?? (doubled > _throttleBackoffMax ? _throttleBackoffMax : doubled);
            return new Backoff(strikes + 1, now + window);
        }
    }

    // WNS has no reason to echo the secret, but a detail comes from the wire: make sure of it.
    private string Redact(string detail) =>
        string.IsNullOrEmpty(_clientSecret) ? detail : detail.Replace(_clientSecret, "(secret)", StringComparison.Ordinal);

    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var current = exception; current is not null; current = current.InnerException) messages.Add(current.Message);
        return string.Join(" → ", messages.Distinct());
    }

    private sealed record AccessToken(string Value, DateTimeOffset RefreshAt);

    private sealed record TokenFailure(WnsResult Result, DateTimeOffset Until);

    private sealed record Backoff(int Strikes, DateTimeOffset Until);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WNS push to {Host} (channel {Channel}) not delivered: {Outcome}, HTTP {Status}: {Detail}")]
    private static partial void LogNotDelivered(ILogger logger, string host, string channel, WnsOutcome outcome, int? status, string? detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "WNS push to {Host} (channel {Channel}) held back: throttled until {Until:O}")]
    private static partial void LogStillBackingOff(ILogger logger, string host, string channel, DateTimeOffset until);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WNS push refused before sending: {WhyNot}")]
    private static partial void LogChannelRefused(ILogger logger, string whyNot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No WNS access token from {Host}: {Outcome}, HTTP {Status}: {Detail}")]
    private static partial void LogTokenFailed(ILogger logger, string host, WnsOutcome outcome, int? status, string? detail);
}
