using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Latch.Devices.Windows;

/// <summary>
/// A local stand-in for Windows Push Notification Services, for tests, the device simulator and the demo: both the
/// OAuth token endpoint and the channel endpoints, over HTTPS on 127.0.0.1 at a free port, with a self-signed server
/// certificate made at start (trust it by pinning <see cref="ServerCertificateSha256"/>).
/// <para>
/// <c>POST /accesstoken.srf</c> takes the client-credentials form WNS documents
/// (https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/push-request-response-headers#access-token-request)
/// for <see cref="PackageSid"/> and <see cref="ClientSecret"/> and issues random tokens living <see cref="TokenLifetime"/>.
/// <c>POST</c> to a channel from <see cref="NewChannel"/> is checked as WNS documents it (#send-notification-request,
/// #response-codes): a live bearer token (else 401 with WWW-Authenticate), a valid X-WNS-Type, octet-stream for raw,
/// at most 5000 bytes; then answered by the channel's script (<see cref="Answer"/>, <see cref="AnswerNext"/>) or 200.
/// Every request to a channel is recorded (<see cref="NotificationsTo"/>); each one answered 200 is also handed to
/// <see cref="NextNotificationAsync"/>, the simulated device's way to wake up without polling.
/// </para>
/// </summary>
/// <example>
/// <code>
/// await using var wns = await FakeWns.StartAsync();
/// var channel = wns.NewChannel();                        // the device reports this as its channel URI
/// wns.AnswerNext(channel, FakeWnsAnswer.Throttled);       // 406 once, then 200
/// var push = await wns.NextNotificationAsync(channel, ct); // the device wakes on the next delivered push
/// // configure the server with wns.ServerSettings() (token endpoint, credentials, pin, 127.0.0.1 allowed)
/// </code>
/// </example>
public sealed class FakeWns : IAsyncDisposable
{
    /// <summary>WNS' payload limit: its 413 answer says 5000 bytes.</summary>
    public const int MaxPayloadBytes = 5000;

    public const string TokenPath = "/accesstoken.srf";
    public const string ChannelPath = "/w/";
    public const string Scope = "notify.windows.com";

    private static readonly string[] NotificationTypes = ["wns/toast", "wns/badge", "wns/tile", "wns/raw"];

    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);
    private readonly List<RawNotification> _notifications = [];
    private TimeSpan _tokenLifetime = TimeSpan.FromDays(1);
    private int _tokenRequests;
    private int? _tokenEndpointStatus;
    private int _disposed;

    private FakeWns(TimeProvider clock, X509Certificate2 serverCertificate, ILoggerFactory? logging)
    {
        _clock = clock;
        _serverCertificate = serverCertificate;
        ServerCertificateSha256 = serverCertificate.GetCertHashString(HashAlgorithmName.SHA256);
        PackageSid = "ms-app://s-1-15-2-" + string.Join('-', Enumerable.Range(0, 7).Select(_ => RandomNumberGenerator.GetInt32(int.MaxValue)));
        ClientSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        if (logging is not null) builder.Services.AddSingleton(logging);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                // WNS is reached over HTTP/1.1 keep-alive; a client may offer HTTP/2 by ALPN.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(serverCertificate);
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>e.g. <c>https://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary><c>https://127.0.0.1:{port}/accesstoken.srf</c>: the server's Windows:Wns:TokenEndpoint.</summary>
    public Uri TokenEndpoint => new(BaseUrl, TokenPath);

    /// <summary>SHA-256 of the server certificate's DER bytes, upper-case hex: what a client pins to trust this fake.</summary>
    public string ServerCertificateSha256 { get; }

    /// <summary>The one client_id the token endpoint accepts (random per fake).</summary>
    public string PackageSid { get; }

    /// <summary>The one client_secret the token endpoint accepts (random per fake).</summary>
    public string ClientSecret { get; }

    /// <summary>The expires_in of tokens issued from now on; they stop working after it by the fake's clock. One day unless changed.</summary>
    public TimeSpan TokenLifetime
    {
        get { lock (_gate) return _tokenLifetime; }
        set { ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero); lock (_gate) _tokenLifetime = value; }
    }

    /// <summary>When set, the token endpoint answers every request with this status (and an OAuth error body) instead of a token.</summary>
    public int? TokenEndpointStatus
    {
        get { lock (_gate) return _tokenEndpointStatus; }
        set { lock (_gate) _tokenEndpointStatus = value; }
    }

    /// <summary>Requests the token endpoint has received, valid or not.</summary>
    public int TokenRequestCount => Volatile.Read(ref _tokenRequests);

    /// <summary>Every request to a channel so far, valid or not, in arrival order.</summary>
    public IReadOnlyList<RawNotification> Notifications
    {
        get { lock (_gate) return [.. _notifications]; }
    }

    /// <summary>Starts listening on 127.0.0.1 at a free port. <paramref name="clock"/> ages tokens and stamps notifications.</summary>
    public static async Task<FakeWns> StartAsync(
        TimeProvider? clock = null, ILoggerFactory? logging = null, CancellationToken cancellationToken = default)
    {
        var wns = new FakeWns(clock ?? TimeProvider.System, CreateServerCertificate(), logging);
        await wns._app.StartAsync(cancellationToken);
        var address = wns._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        wns.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return wns;
    }

    /// <summary>
    /// A new channel, as WNS gives one to an app: <c>https://127.0.0.1:{port}/w/?token={random}</c>, the token
    /// URL-encoded base64 the way WNS' are (so a client that mangles %2B or %2F is caught).
    /// </summary>
    public string NewChannel()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        lock (_gate) _channels[token] = new ChannelState();
        return $"{BaseUrl.GetLeftPart(UriPartial.Authority)}{ChannelPath}?token={Uri.EscapeDataString(token)}";
    }

    /// <summary>Answers every valid notification to the channel with <paramref name="answer"/> (after any <see cref="AnswerNext"/>).</summary>
    public void Answer(string channelUri, FakeWnsAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate) StateOf(channelUri).Standing = answer;
    }

    /// <summary>Answers the next <paramref name="times"/> valid notifications to the channel with <paramref name="answer"/>, then goes on as before.</summary>
    public void AnswerNext(string channelUri, FakeWnsAnswer answer, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            var state = StateOf(channelUri);
            for (var i = 0; i < times; i++) state.Next.Enqueue(answer);
        }
    }

    /// <summary>Every token issued so far stops working: the next notification with one gets 401, as after expiry.</summary>
    public void RevokeAllTokens()
    {
        lock (_gate) _tokens.Clear();
    }

    /// <summary>The requests received for one channel (by its token), valid or not, in arrival order.</summary>
    public IReadOnlyList<RawNotification> NotificationsTo(string channelUri)
    {
        var token = ChannelTokenOf(channelUri);
        lock (_gate) return _notifications.Where(n => n.ChannelToken == token).ToList();
    }

    /// <summary>
    /// The next notification to this channel that was answered 200 and not yet taken by an earlier call: one that
    /// arrived before the call is not lost. For a simulated device's wait for a push.
    /// </summary>
    public async Task<RawNotification> NextNotificationAsync(string channelUri, CancellationToken cancellationToken = default)
    {
        Channel<RawNotification> delivered;
        lock (_gate) delivered = StateOf(channelUri).Delivered;
        return await delivered.Reader.ReadAsync(cancellationToken);
    }

    /// <summary>
    /// The server's configuration for pointing its WNS client at this fake, as <c>{section}:Key</c> pairs: token
    /// endpoint, credentials, the certificate pin, and 127.0.0.1 as an allowed channel host (appended to the default).
    /// </summary>
    public IReadOnlyDictionary<string, string?> ServerSettings(string section = "Windows:Wns") => new Dictionary<string, string?>
    {
        [$"{section}:PackageSid"] = PackageSid,
        [$"{section}:ClientSecret"] = ClientSecret,
        [$"{section}:TokenEndpoint"] = TokenEndpoint.ToString(),
        [$"{section}:ServerCertificateSha256"] = ServerCertificateSha256,
        [$"{section}:AllowedChannelHostSuffixes:0"] = BaseUrl.Host,
    };

    /// <summary>Stops listening; any <see cref="NextNotificationAsync"/> still waiting fails. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        lock (_gate)
        {
            foreach (var state in _channels.Values) state.Delivered.Writer.TryComplete(new ObjectDisposedException(nameof(FakeWns)));
        }
        _serverCertificate.Dispose();
    }

    private Task HandleAsync(HttpContext http)
    {
        if (http.Request.Path.Equals(TokenPath, StringComparison.OrdinalIgnoreCase)) return TokenAsync(http);
        if (http.Request.Path.StartsWithSegments(ChannelPath.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)) return NotifyAsync(http);
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    // ---- The token endpoint ----

    private async Task TokenAsync(HttpContext http)
    {
        Interlocked.Increment(ref _tokenRequests);
        var request = http.Request;
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsPost(request.Method))
        {
            await OAuthErrorAsync(http, StatusCodes.Status405MethodNotAllowed, "invalid_request", "The token request must be a POST.");
            return;
        }
        if (!request.HasFormContentType)
        {
            await OAuthErrorAsync(http, StatusCodes.Status400BadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.");
            return;
        }
        var form = await request.ReadFormAsync(http.RequestAborted);
        if (TokenRefusal(form) is { } refusal)
        {
            await OAuthErrorAsync(http, refusal.Status, refusal.Error, refusal.Description);
            return;
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        TimeSpan lifetime;
        lock (_gate)
        {
            lifetime = _tokenLifetime;
            _tokens[token] = _clock.GetUtcNow() + lifetime;
        }
        response.ContentType = "application/json";
        await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["token_type"] = "bearer",
            ["access_token"] = token,
            ["expires_in"] = (long)lifetime.TotalSeconds,
        }), http.RequestAborted);
    }

    // OAuth 2.0 errors (RFC 6749 §5.2), as login.live.com answers them.
    private (int Status, string Error, string Description)? TokenRefusal(IFormCollection form)
    {
        int? forcedStatus;
        lock (_gate) forcedStatus = _tokenEndpointStatus;
        if (forcedStatus is { } status)
            return (status, status >= 500 ? "temporarily_unavailable" : "invalid_request", "Answered as the test asked.");
        if (form["grant_type"] != "client_credentials")
            return (StatusCodes.Status400BadRequest, "unsupported_grant_type", "The grant_type must be client_credentials.");
        if (form["client_id"] != PackageSid || form["client_secret"] != ClientSecret)
            return (StatusCodes.Status400BadRequest, "invalid_client", "Invalid client id or secret.");
        if (form["scope"] != Scope)
            return (StatusCodes.Status400BadRequest, "invalid_scope", $"The scope must be {Scope}.");
        return null;
    }

    private static Task OAuthErrorAsync(HttpContext http, int status, string error, string description)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(
            JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = error, ["error_description"] = description }),
            http.RequestAborted);
    }

    // ---- The channels ----

    private async Task NotifyAsync(HttpContext http)
    {
        var request = http.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var channelToken = (string?)request.Query["token"] ?? "";
        var (answer, wwwAuthenticate) = Refusal(request, body, channelToken) ?? (NextAnswer(channelToken), null);

        var notification = new RawNotification
        {
            ChannelUri = $"{BaseUrl.GetLeftPart(UriPartial.Authority)}{request.Path}{request.QueryString}",
            ChannelToken = channelToken,
            Method = request.Method,
            Protocol = request.Protocol,
            WnsType = Header(request, "X-WNS-Type"),
            ContentType = request.ContentType,
            Authorization = Header(request, "Authorization"),
            Headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Body = body,
            ConnectionId = http.Connection.Id,
            Status = answer.Status,
            ErrorDescription = answer.ErrorDescription,
            MessageId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)),
            ReceivedAt = _clock.GetUtcNow(),
        };
        // Recorded before answering, so a client that has its answer always finds its notification here.
        lock (_gate)
        {
            _notifications.Add(notification);
            if (answer.Status == StatusCodes.Status200OK && _channels.TryGetValue(channelToken, out var state))
                state.Delivered.Writer.TryWrite(notification);
        }

        // #send-notification-response: the X-WNS-* headers a cloud service logs.
        var response = http.Response;
        response.StatusCode = answer.Status;
        response.Headers["X-WNS-Msg-ID"] = notification.MessageId;
        response.Headers["X-WNS-Debug-Trace"] = "FAKEWNS-" + http.Connection.Id;
        if (answer.WnsStatus is { } wnsStatus) response.Headers["X-WNS-Status"] = wnsStatus;
        if (answer.Status == StatusCodes.Status200OK) response.Headers["X-WNS-DeviceConnectionStatus"] = "connected";
        if (answer.ErrorDescription is { } description) response.Headers["X-WNS-Error-Description"] = description;
        if (answer.RetryAfter is { } retryAfter) response.Headers.RetryAfter = ((long)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (wwwAuthenticate is not null) response.Headers.WWWAuthenticate = wwwAuthenticate;
    }

    // The checks WNS documents (#response-codes), in the order a request meets them.
    private (FakeWnsAnswer Answer, string? WwwAuthenticate)? Refusal(HttpRequest request, byte[] body, string channelToken)
    {
        if (!HttpMethods.IsPost(request.Method)) return (new(405, "Only POST is allowed."), null);
        var authorization = Header(request, "Authorization");
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            return (new(401, "The Authorization header is missing or not a bearer token."),
                "Bearer error=\"invalid_request\",error_description=\"Invalid token\"");
        var token = authorization["Bearer ".Length..];
        lock (_gate)
        {
            if (!_tokens.TryGetValue(token, out var expiresAt) || _clock.GetUtcNow() >= expiresAt)
                return (new(401, "The access token is invalid or expired."),
                    "Bearer error=\"invalid_token\",error_description=\"Token expired\"");
        }
        var type = Header(request, "X-WNS-Type");
        if (type is null || !NotificationTypes.Contains(type, StringComparer.Ordinal))
            return (new(400, $"X-WNS-Type must be one of {string.Join(", ", NotificationTypes)}."), null);
        if (type == "wns/raw" && !string.Equals(request.ContentType, "application/octet-stream", StringComparison.OrdinalIgnoreCase))
            return (new(400, "A raw notification's Content-Type must be application/octet-stream."), null);
        if (request.ContentLength is null) return (new(411, "Content-Length is required."), null);
        if (body.Length > MaxPayloadBytes) return (new(413, $"The notification payload exceeds the {MaxPayloadBytes} byte size limit."), null);
        lock (_gate)
        {
            if (!_channels.ContainsKey(channelToken)) return (new(404, "The channel URI is not valid or is not recognized by WNS."), null);
        }
        return null;
    }

    private FakeWnsAnswer NextAnswer(string channelToken)
    {
        lock (_gate)
        {
            var state = _channels[channelToken];
            return state.Next.TryDequeue(out var next) ? next : state.Standing ?? FakeWnsAnswer.Ok;
        }
    }

    // Channels made by NewChannel only: a script for any other URI would never be met.
    private ChannelState StateOf(string channelUri)
    {
        var token = ChannelTokenOf(channelUri);
        return _channels.TryGetValue(token, out var state)
            ? state
            : throw new ArgumentException("Not a channel this fake made (use NewChannel).", nameof(channelUri));
    }

    private static string ChannelTokenOf(string channelUri)
    {
        ArgumentException.ThrowIfNullOrEmpty(channelUri);
        var uri = new Uri(channelUri, UriKind.Absolute);
        return QueryHelpers.ParseQuery(uri.Query).TryGetValue("token", out StringValues token) ? token.ToString() : "";
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    private static X509Certificate2 CreateServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Latch fake WNS", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = TimeProvider.System.GetUtcNow(); // TLS checks validity in real time, whatever a test's clock says
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class ChannelState
    {
        public Queue<FakeWnsAnswer> Next { get; } = new();
        public FakeWnsAnswer? Standing { get; set; }
        public Channel<RawNotification> Delivered { get; } = Channel.CreateUnbounded<RawNotification>();
    }
}

/// <summary>What the fake answers a valid notification: a status, WNS' X-WNS-Error-Description and X-WNS-Status, and Retry-After.</summary>
public sealed record FakeWnsAnswer(int Status, string? ErrorDescription = null, TimeSpan? RetryAfter = null, string? WnsStatus = null)
{
    public static FakeWnsAnswer Ok { get; } = new(200, WnsStatus: "received");

    /// <summary>410: the channel expired; the device must get a new one.</summary>
    public static FakeWnsAnswer Gone { get; } = new(410, "The channel expired.");

    /// <summary>404: not a channel WNS knows.</summary>
    public static FakeWnsAnswer NotFound { get; } = new(404, "The channel URI is not valid or is not recognized by WNS.");

    /// <summary>406: the cloud service exceeded its throttle limit for this channel.</summary>
    public static FakeWnsAnswer Throttled { get; } = new(406, "The cloud service exceeded its throttle limit.", WnsStatus: "channelthrottled");

    public static FakeWnsAnswer Forbidden { get; } = new(403, "The cloud service is not authorized to send a notification to this URI.");
    public static FakeWnsAnswer ServiceUnavailable { get; } = new(503, "The service is currently unavailable.");

    /// <summary>406 with a Retry-After of <paramref name="retryAfter"/> (whole seconds).</summary>
    public static FakeWnsAnswer ThrottledFor(TimeSpan retryAfter) => Throttled with { RetryAfter = retryAfter };
}

/// <summary>One request a channel received, and what the fake answered.</summary>
public sealed record RawNotification
{
    /// <summary>The channel URI the request was sent to (authority, path and query as received).</summary>
    public required string ChannelUri { get; init; }

    /// <summary>The channel's token (the URI's <c>token</c> query value, decoded).</summary>
    public required string ChannelToken { get; init; }

    public required string Method { get; init; }

    /// <summary>The protocol as the fake saw it, e.g. <c>HTTP/1.1</c>.</summary>
    public required string Protocol { get; init; }

    public required string? WnsType { get; init; }
    public required string? ContentType { get; init; }

    /// <summary>The Authorization header as sent (<c>Bearer …</c>, a token this fake issued).</summary>
    public required string? Authorization { get; init; }

    public required IReadOnlyDictionary<string, string> Headers { get; init; }

#pragma warning disable CA1819 // A recorded body, read by tests.
    public required byte[] Body { get; init; }
#pragma warning restore CA1819

    /// <summary>Kestrel's id of the connection the request came on: the same id means a reused connection.</summary>
    public required string ConnectionId { get; init; }

    public required int Status { get; init; }
    public required string? ErrorDescription { get; init; }
    public required string MessageId { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}
