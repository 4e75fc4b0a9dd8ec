using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Latch.Devices.Apple;

/// <summary>
/// A local stand-in for Apple Push Notification service, for tests, the device simulator and the demo. It speaks what
/// APNs speaks to an MDM server (https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns):
/// HTTP/2 only, over TLS, on 127.0.0.1 at a free port, with a self-signed server certificate made at start (pin it by
/// <see cref="ServerCertificateSha256"/>), and it requires a TLS client certificate — an MDM server authenticates with
/// its push certificate, whose subject UID is the topic.
/// <para>
/// <c>POST /3/device/{token}</c> is validated as APNs documents it
/// (https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns), then
/// answered by the token's script (<see cref="Answer"/>, <see cref="AnswerNext"/>) or <see cref="DefaultAnswer"/>.
/// Every request is recorded (<see cref="Pushes"/>), with the connection it came on so a test can prove reuse. After a
/// 200 has been sent, <see cref="OnPush"/> runs in the background: the hook for a simulated device to wake up.
/// </para>
/// </summary>
/// <example>
/// <code>
/// await using var apns = await FakeApns.StartAsync();
/// apns.Answer(deadToken, FakeApnsAnswer.Unregistered);           // always 410
/// apns.AnswerNext(busyToken, FakeApnsAnswer.TooManyRequests, 2);  // 429 twice, then the default (200)
/// apns.OnPush = push => devices[push.DeviceToken].CheckInAsync();
/// // point the MDM server at apns.BaseUrl, pinning apns.ServerCertificateSha256
/// </code>
/// </example>
public sealed class FakeApns : IAsyncDisposable
{
    /// <summary>The subject attribute that carries an APNs certificate's topic: userId (UID).</summary>
    public const string TopicAttributeOid = "0.9.2342.19200300.100.1.1";

    /// <summary>APNs' payload limit for everything but VoIP pushes, in bytes.</summary>
    public const int MaxPayloadBytes = 4096;

    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly List<FakeApnsPush> _pushes = [];
    private readonly Dictionary<string, TokenScript> _scripts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Exception> _callbackErrors = [];
    private readonly HashSet<Task> _callbacks = [];
    private FakeApnsAnswer _defaultAnswer = FakeApnsAnswer.Ok;
    private int _disposed;

    private FakeApns(TimeProvider clock, X509Certificate2 serverCertificate, ILoggerFactory? logging)
    {
        _clock = clock;
        _serverCertificate = serverCertificate;
        ServerCertificateSha256 = serverCertificate.GetCertHashString(HashAlgorithmName.SHA256);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        if (logging is not null) builder.Services.AddSingleton(logging);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = serverCertificate;
                    // Apple checks that the certificate is one it issued; the fake takes any and records its subject.
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.AllowAnyClientCertificate();
                });
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    /// <summary>Where to send pushes, e.g. <c>https://127.0.0.1:41234/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>SHA-256 of the server certificate's DER bytes, upper-case hex: what a client pins to trust this fake.</summary>
    public string ServerCertificateSha256 { get; }

    /// <summary>Runs after a push was answered 200, off the request: a simulated device waking up. Errors land in <see cref="CallbackErrors"/>.</summary>
    public Func<FakeApnsPush, Task>? OnPush { get; set; }

    /// <summary>The answer for a valid push to a token that has no script of its own. 200 unless changed.</summary>
    public FakeApnsAnswer DefaultAnswer
    {
        get { lock (_gate) return _defaultAnswer; }
        set { ArgumentNullException.ThrowIfNull(value); lock (_gate) _defaultAnswer = value; }
    }

    /// <summary>Every request received so far, valid or not, in arrival order.</summary>
    public IReadOnlyList<FakeApnsPush> Pushes
    {
        get { lock (_gate) return [.. _pushes]; }
    }

    /// <summary>What <see cref="OnPush"/> threw.</summary>
    public IReadOnlyList<Exception> CallbackErrors
    {
        get { lock (_gate) return [.. _callbackErrors]; }
    }

    /// <summary>
    /// Starts listening on 127.0.0.1 at a free port. <paramref name="clock"/> stamps pushes and 410 timestamps;
    /// <paramref name="logging"/> receives Kestrel's logs (none without it).
    /// </summary>
    public static async Task<FakeApns> StartAsync(
        TimeProvider? clock = null, ILoggerFactory? logging = null, CancellationToken cancellationToken = default)
    {
        var apns = new FakeApns(clock ?? TimeProvider.System, CreateServerCertificate(), logging);
        await apns._app.StartAsync(cancellationToken);
        var address = apns._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        apns.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return apns;
    }

    /// <summary>The requests received for one device token (compared ignoring case).</summary>
    public IReadOnlyList<FakeApnsPush> PushesTo(string deviceToken)
    {
        lock (_gate) return _pushes.Where(p => string.Equals(p.DeviceToken, deviceToken, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>Answers every valid push to <paramref name="deviceToken"/> with <paramref name="answer"/> (after any <see cref="AnswerNext"/>).</summary>
    public void Answer(string deviceToken, FakeApnsAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        lock (_gate) ScriptFor(deviceToken).Standing = answer;
    }

    /// <summary>Answers the next <paramref name="times"/> valid pushes to <paramref name="deviceToken"/> with <paramref name="answer"/>, then goes on as before.</summary>
    public void AnswerNext(string deviceToken, FakeApnsAnswer answer, int times = 1)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            var script = ScriptFor(deviceToken);
            for (var i = 0; i < times; i++) script.Next.Enqueue(answer);
        }
    }

    /// <summary>
    /// A push certificate like the one Apple issues for MDM (subject <c>UID=topic, CN=APSP:topic</c>, client
    /// authentication), self-signed, for pointing a real APNs client at this fake. The caller disposes it.
    /// </summary>
    public static X509Certificate2 CreatePushCertificate(string topic, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        var subject = new X500DistinguishedNameBuilder();
        subject.Add(TopicAttributeOid, topic, System.Formats.Asn1.UniversalTagNumber.UTF8String);
        subject.AddCommonName("APSP:" + topic);
        subject.AddCountryOrRegion("US");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = TimeProvider.System.GetUtcNow(); // TLS checks validity against the real clock, whatever the test's clock says
        using var certificate = request.CreateSelfSigned(notBefore ?? now.AddMinutes(-5), notAfter ?? now.AddYears(1));
        // A round trip through PKCS#12 gives a key that TLS can use on every platform (not an ephemeral one).
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The topic in a certificate's subject UID, or null.</summary>
    public static string? TopicOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == TopicAttributeOid)
            .Select(rdn => rdn.GetSingleElementValue())
            .FirstOrDefault();
    }

    /// <summary>Stops listening and waits for <see cref="OnPush"/> callbacks still running. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        Task[] running;
        lock (_gate) running = [.. _callbacks];
        await Task.WhenAll(running);
        _serverCertificate.Dispose();
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var deviceToken = request.Path.StartsWithSegments("/3/device", out var rest) ? rest.Value?.TrimStart('/') ?? "" : "";
        var clientCertificate = http.Connection.ClientCertificate;
        var apnsId = Guid.TryParseExact(Header(request, "apns-id"), "D", out var given) ? given : Guid.NewGuid();
        var answer = Refusal(request, body, deviceToken, clientCertificate) ?? NextAnswer(deviceToken);

        var push = new FakeApnsPush
        {
            DeviceToken = deviceToken,
            Topic = Header(request, "apns-topic"),
            PushType = Header(request, "apns-push-type"),
            Priority = Header(request, "apns-priority"),
            Expiration = Header(request, "apns-expiration"),
            PushMagic = PushMagicOf(body),
            Method = request.Method,
            Path = request.Path.Value ?? "",
            Protocol = request.Protocol,
            Headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Body = Encoding.UTF8.GetString(body),
            ClientCertificateSubject = clientCertificate?.Subject,
            ConnectionId = http.Connection.Id,
            Status = answer.Status,
            Reason = answer.Reason,
            ApnsId = apnsId.ToString("D"),
            ReceivedAt = _clock.GetUtcNow(),
        };
        // Recorded before answering, so a client that has its answer always finds its push here.
        lock (_gate) _pushes.Add(push);

        var response = http.Response;
        response.StatusCode = answer.Status;
        response.Headers["apns-id"] = push.ApnsId;
        if (answer.Status != StatusCodes.Status200OK)
        {
            response.ContentType = "application/json";
            await response.Body.WriteAsync(ErrorBody(answer), http.RequestAborted);
            return;
        }
        await response.CompleteAsync();
        if (OnPush is { } onPush) StartCallback(onPush, push);
    }

    // The checks APNs documents, in the order a request meets them. APNs names no reason for an MDM payload without an
    // "mdm" string; the fake answers PayloadEmpty (400), the nearest documented one.
    private static FakeApnsAnswer? Refusal(HttpRequest request, byte[] body, string deviceToken, X509Certificate2? clientCertificate)
    {
        var now = TimeProvider.System.GetUtcNow(); // certificates expire in real time, whatever a test's clock says
        if (clientCertificate is null) return new(403, "MissingProviderToken");
        if (now < clientCertificate.NotBefore.ToUniversalTime() || now > clientCertificate.NotAfter.ToUniversalTime())
            return new(403, "BadCertificate");
        if (!HttpMethods.IsPost(request.Method)) return new(405, "MethodNotAllowed");
        if (!request.Path.StartsWithSegments("/3/device", out var rest) || rest.Value?.Count(c => c == '/') > 1)
            return new(404, "BadPath");
        if (deviceToken.Length == 0) return new(400, "MissingDeviceToken");
        if (!IsDeviceToken(deviceToken)) return new(400, "BadDeviceToken");
        if (request.Headers.Any(h => h.Key.StartsWith("apns-", StringComparison.OrdinalIgnoreCase) && h.Value.Count > 1))
            return new(400, "DuplicateHeaders");
        if (Header(request, "apns-push-type") != "mdm") return new(400, "InvalidPushType");
        var topic = Header(request, "apns-topic");
        if (string.IsNullOrEmpty(topic)) return new(400, "MissingTopic");
        if (TopicOf(clientCertificate) is { } certificateTopic && topic != certificateTopic) return new(400, "TopicDisallowed");
        if (Header(request, "apns-priority") is { } priority && priority is not ("10" or "5" or "1")) return new(400, "BadPriority");
        if (Header(request, "apns-expiration") is { } expiration && !long.TryParse(expiration, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            return new(400, "BadExpirationDate");
        if (Header(request, "apns-id") is { } id && !Guid.TryParseExact(id, "D", out _)) return new(400, "BadMessageId");
        if (body.Length == 0) return new(400, "PayloadEmpty");
        if (body.Length > MaxPayloadBytes) return new(413, "PayloadTooLarge");
        if (PushMagicOf(body) is null) return new(400, "PayloadEmpty");
        return null;
    }

    private FakeApnsAnswer NextAnswer(string deviceToken)
    {
        lock (_gate)
        {
            if (!_scripts.TryGetValue(deviceToken, out var script)) return _defaultAnswer;
            return script.Next.TryDequeue(out var next) ? next : script.Standing ?? _defaultAnswer;
        }
    }

    private TokenScript ScriptFor(string deviceToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceToken);
        if (!_scripts.TryGetValue(deviceToken, out var script)) _scripts[deviceToken] = script = new TokenScript();
        return script;
    }

    private byte[] ErrorBody(FakeApnsAnswer answer)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("reason", answer.Reason ?? "");
            // A 410 says since when the token is no longer valid, in milliseconds since the epoch.
            if (answer.Status == StatusCodes.Status410Gone) json.WriteNumber("timestamp", _clock.GetUtcNow().ToUnixTimeMilliseconds());
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private void StartCallback(Func<FakeApnsPush, Task> onPush, FakeApnsPush push)
    {
        lock (_gate)
        {
            var callback = Task.Run(async () =>
            {
                try
                {
                    await onPush(push);
                }
#pragma warning disable CA1031 // A simulated device's failure is the test's to read, not the fake's to crash on.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    lock (_gate) _callbackErrors.Add(exception);
                }
            });
            _callbacks.Add(callback);
            callback.ContinueWith(done => { lock (_gate) _callbacks.Remove(done); }, TaskScheduler.Default);
        }
    }

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    // Device tokens are 32 bytes today; Apple reserves the right to make them longer.
    private static bool IsDeviceToken(string token) =>
        token.Length is >= 32 and <= 400 && token.Length % 2 == 0 && token.All(char.IsAsciiHexDigit);

    private static string? PushMagicOf(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("mdm", out var mdm) && mdm.ValueKind == JsonValueKind.String
                ? mdm.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static X509Certificate2 CreateServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Latch fake APNs", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = TimeProvider.System.GetUtcNow();
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class TokenScript
    {
        public Queue<FakeApnsAnswer> Next { get; } = new();
        public FakeApnsAnswer? Standing { get; set; }
    }
}

/// <summary>What the fake answers: an HTTP status and, for errors, APNs' reason string.</summary>
public sealed record FakeApnsAnswer(int Status, string? Reason = null)
{
    public static FakeApnsAnswer Ok { get; } = new(200);

    /// <summary>410: the token is no longer active for the topic; stop pushing to it.</summary>
    public static FakeApnsAnswer Unregistered { get; } = new(410, "Unregistered");

    public static FakeApnsAnswer ExpiredToken { get; } = new(410, "ExpiredToken");
    public static FakeApnsAnswer BadDeviceToken { get; } = new(400, "BadDeviceToken");
    public static FakeApnsAnswer DeviceTokenNotForTopic { get; } = new(400, "DeviceTokenNotForTopic");
    public static FakeApnsAnswer BadCertificate { get; } = new(403, "BadCertificate");
    public static FakeApnsAnswer BadCertificateEnvironment { get; } = new(403, "BadCertificateEnvironment");
    public static FakeApnsAnswer TooManyRequests { get; } = new(429, "TooManyRequests");
    public static FakeApnsAnswer InternalServerError { get; } = new(500, "InternalServerError");
    public static FakeApnsAnswer ServiceUnavailable { get; } = new(503, "ServiceUnavailable");
}

/// <summary>One request the fake received, and what it answered.</summary>
public sealed record FakeApnsPush
{
    /// <summary>The token from the path, as sent.</summary>
    public required string DeviceToken { get; init; }

    public required string? Topic { get; init; }
    public required string? PushType { get; init; }
    public required string? Priority { get; init; }
    public required string? Expiration { get; init; }

    /// <summary>The body's <c>mdm</c> string, when the body has one.</summary>
    public required string? PushMagic { get; init; }

    public required string Method { get; init; }
    public required string Path { get; init; }

    /// <summary>The request's protocol as the server saw it: <c>HTTP/2</c>.</summary>
    public required string Protocol { get; init; }

    public required IReadOnlyDictionary<string, string> Headers { get; init; }
    public required string Body { get; init; }
    public required string? ClientCertificateSubject { get; init; }

    /// <summary>Kestrel's id of the TLS connection the request came on: the same id means a reused connection.</summary>
    public required string ConnectionId { get; init; }

    public required int Status { get; init; }
    public required string? Reason { get; init; }
    public required string ApnsId { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}
