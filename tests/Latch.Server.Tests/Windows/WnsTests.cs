using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;
using Latch.Devices.Windows;
using Latch.Server.Windows.Push;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests.Windows;

/// <summary>
/// The real WNS client against the fake WNS from Latch.Devices, over real HTTPS on 127.0.0.1 (the fake's certificate
/// pinned), with one fake clock for both: token lifetimes and back-off windows move only when a test advances it.
/// </summary>
public sealed class WnsTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private readonly LogCapture _logs = new();
    private readonly ILoggerFactory _logging;
    private readonly List<IDisposable> _disposables = [];
    private FakeWns _wns = null!;

    public WnsTests() => _logging = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _wns = await FakeWns.StartAsync(_clock);

    public async ValueTask DisposeAsync()
    {
        await _wns.DisposeAsync();
        foreach (var disposable in _disposables) disposable.Dispose();
        _logging.Dispose();
    }

    // ---- Delivery ----

    [Fact]
    public async Task SendRaw_PostsTheRawNotificationWithABearerTokenAndWnsHeaders()
    {
        var channel = _wns.NewChannel();
        var payload = Encoding.UTF8.GetBytes("<wake-up/>");

        var result = await Client().SendRawAsync(channel, payload, Ct);

        Assert.True(result.Outcome == WnsOutcome.Delivered, result.Detail);
        Assert.Equal(200, result.StatusCode);
        Assert.Contains("X-WNS-Status: received", result.Detail, StringComparison.Ordinal);
        var received = Assert.Single(_wns.NotificationsTo(channel));
        Assert.Equal("POST", received.Method);
        Assert.Equal("HTTP/1.1", received.Protocol);
        Assert.Equal("wns/raw", received.WnsType);
        Assert.Equal("application/octet-stream", received.ContentType);
        Assert.Equal(payload.Length.ToString(), received.Headers["Content-Length"]);
        Assert.StartsWith("Bearer ", received.Authorization, StringComparison.Ordinal);
        Assert.Equal(payload, received.Body);
        Assert.Equal(channel, received.ChannelUri); // the URL-encoded token reached the fake unmangled
    }

    [Fact]
    public async Task SendRaw_WakesADeviceWaitingOnTheChannel()
    {
        var channel = _wns.NewChannel();
        var device = _wns.NextNotificationAsync(channel, Ct);
        Assert.False(device.IsCompleted);

        await Client().SendRawAsync(channel, "first"u8.ToArray(), Ct);
        await Client().SendRawAsync(channel, "second"u8.ToArray(), Ct); // not lost though nobody waits for it yet

        Assert.Equal("first"u8.ToArray(), (await device).Body);
        Assert.Equal("second"u8.ToArray(), (await _wns.NextNotificationAsync(channel, Ct)).Body);
    }

    [Fact]
    public async Task SendRaw_PayloadOfExactly5000Bytes_IsDelivered()
    {
        var result = await Client().SendRawAsync(_wns.NewChannel(), new byte[WnsClient.MaxRawPayloadBytes], Ct);

        Assert.Equal(WnsOutcome.Delivered, result.Outcome);
    }

    [Fact]
    public async Task SendRaw_PayloadOver5000Bytes_IsRefusedBeforeSending()
    {
        var result = await Client().SendRawAsync(_wns.NewChannel(), new byte[WnsClient.MaxRawPayloadBytes + 1], Ct);

        Assert.Equal(WnsOutcome.Refused, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.Contains("5000", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_wns.Notifications);
        Assert.Equal(0, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task SendRaw_NotConfigured_SendsNothing()
    {
        var client = Client(o => { o.PackageSid = null; o.ClientSecret = null; });

        var result = await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.False(client.IsConfigured);
        Assert.Equal(WnsOutcome.NotConfigured, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.Empty(_wns.Notifications);
        Assert.Equal(0, _wns.TokenRequestCount);
    }

    // ---- The access token ----

    [Fact]
    public async Task Token_IsFetchedOnceAndReusedAcrossManySendsOnOneConnection()
    {
        var client = Client();
        var channels = Enumerable.Range(0, 5).Select(_ => _wns.NewChannel()).ToList();

        for (var i = 0; i < 20; i++)
            Assert.Equal(WnsOutcome.Delivered, (await client.SendRawAsync(channels[i % channels.Count], "x"u8.ToArray(), Ct)).Outcome);

        Assert.Equal(1, _wns.TokenRequestCount);
        Assert.Single(_wns.Notifications.Select(n => n.Authorization).Distinct());
        Assert.Single(_wns.Notifications.Select(n => n.ConnectionId).Distinct()); // keep-alive, not connect-per-push
    }

    [Fact]
    public async Task Token_ConcurrentFirstSends_FetchOneToken()
    {
        var client = Client();

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct)));

        Assert.All(results, result => Assert.Equal(WnsOutcome.Delivered, result.Outcome));
        Assert.Equal(1, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task Token_NearItsExpiry_IsReplacedBeforeWnsRefusesIt()
    {
        _wns.TokenLifetime = TimeSpan.FromHours(1);
        var client = Client();
        var channel = _wns.NewChannel();

        await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        _clock.Advance(TimeSpan.FromMinutes(54));
        await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        Assert.Equal(1, _wns.TokenRequestCount);
        _clock.Advance(TimeSpan.FromMinutes(2)); // inside the 5-minute refresh margin
        var result = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Delivered, result.Outcome);
        Assert.Equal(2, _wns.TokenRequestCount);
        Assert.All(_wns.NotificationsTo(channel), n => Assert.Equal(200, n.Status)); // never a 401
    }

    [Fact]
    public async Task Token_RevokedByWns_IsReplacedOnceAndTheSendRetried()
    {
        var client = Client();
        var channel = _wns.NewChannel();
        await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        _wns.RevokeAllTokens();

        var result = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Delivered, result.Outcome);
        Assert.Equal(2, _wns.TokenRequestCount);
        Assert.Equal([200, 401, 200], _wns.NotificationsTo(channel).Select(n => n.Status));
    }

    [Fact]
    public async Task Token_RevokedWhileManySend_IsReplacedOnce()
    {
        var client = Client();
        await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);
        _wns.RevokeAllTokens();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct)));

        Assert.All(results, result => Assert.Equal(WnsOutcome.Delivered, result.Outcome));
        Assert.Equal(2, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task Token_Unauthorized401EvenWithAFreshToken_IsRefusedAfterOneRetry()
    {
        var channel = _wns.NewChannel();
        _wns.Answer(channel, new FakeWnsAnswer(401, "Token not valid for this channel."));

        var result = await Client().SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Refused, result.Outcome);
        Assert.Equal(401, result.StatusCode);
        Assert.Contains("freshly issued", result.Detail, StringComparison.Ordinal);
        Assert.Equal(2, _wns.NotificationsTo(channel).Count);
        Assert.Equal(2, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task Token_WrongSecret_IsRefusedWithTheOAuthErrorAndNeverTheSecret()
    {
        const string secret = "wrong-secret-8d1f0c2b7a";
        var client = Client(o => o.ClientSecret = secret);

        var result = await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Refused, result.Outcome);
        Assert.Equal(400, result.StatusCode);
        Assert.Contains("invalid_client", result.Detail, StringComparison.Ordinal);
        Assert.Contains(_wns.PackageSid, result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, result.Detail, StringComparison.Ordinal);
        Assert.Empty(_wns.Notifications);
        Assert.DoesNotContain(_logs.Messages, m => m.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(_logs.Messages, m => m.Contains("invalid_client", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Token_Refused_IsNotAskedForAgainUntilTheHoldPasses()
    {
        var client = Client(o => o.ClientSecret = "wrong");

        await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct)));
        Assert.Equal(1, _wns.TokenRequestCount);
        _clock.Advance(WnsClient.TokenFailureHold);
        await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.Equal(2, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task Token_EndpointDown_IsUnreachable()
    {
        _wns.TokenEndpointStatus = 503;

        var result = await Client().SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Unreachable, result.Outcome);
        Assert.Equal(503, result.StatusCode);
        Assert.Contains("temporarily_unavailable", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_wns.Notifications);
    }

    [Fact]
    public async Task Token_EndpointNotPinned_IsRefusedForTls()
    {
        // No pin: the system's trust store, which does not know the fake's self-signed certificate.
        var result = await Client(o => o.ServerCertificateSha256 = null).SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Refused, result.Outcome);
        Assert.Contains("TLS", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _wns.TokenRequestCount);
    }

    [Fact]
    public async Task Token_EndpointNotListening_IsUnreachable()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // a port nobody listens on

        var result = await Client(o => o.TokenEndpoint = new Uri($"https://127.0.0.1:{port}/accesstoken.srf"))
            .SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.Unreachable, result.Outcome);
        Assert.Null(result.StatusCode);
    }

    // ---- Throttling ----

    [Fact]
    public async Task Throttled_BacksOffWithoutRequestsAndDoublesPerThrottleInARow()
    {
        var client = Client();
        var channel = _wns.NewChannel();
        var other = _wns.NewChannel();
        _wns.AnswerNext(channel, FakeWnsAnswer.Throttled, times: 2);

        var first = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        Assert.Equal(WnsOutcome.Throttled, first.Outcome);
        Assert.Equal(406, first.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(1), first.RetryAfter);
        Assert.Contains("channelthrottled", first.Detail, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(59));
        var held = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        Assert.Equal(WnsOutcome.Throttled, held.Outcome);
        Assert.Null(held.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), held.RetryAfter);
        Assert.Single(_wns.NotificationsTo(channel));
        Assert.Equal(WnsOutcome.Delivered, (await client.SendRawAsync(other, "x"u8.ToArray(), Ct)).Outcome); // per channel

        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        Assert.Equal(406, second.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(2), second.RetryAfter);

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(WnsOutcome.Delivered, (await client.SendRawAsync(channel, "x"u8.ToArray(), Ct)).Outcome);
        _wns.AnswerNext(channel, FakeWnsAnswer.Throttled);
        Assert.Equal(TimeSpan.FromMinutes(1), (await client.SendRawAsync(channel, "x"u8.ToArray(), Ct)).RetryAfter); // a delivery resets it
        Assert.Equal([406, 406, 200, 406], _wns.NotificationsTo(channel).Select(n => n.Status));
    }

    [Fact]
    public async Task Throttled_BackOffStopsAtItsCap()
    {
        var client = Client(o => o.ThrottleBackoffMax = TimeSpan.FromMinutes(3));
        var channel = _wns.NewChannel();
        _wns.Answer(channel, FakeWnsAnswer.Throttled);
        var windows = new List<TimeSpan?>();

        for (var i = 0; i < 4; i++)
        {
            var result = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
            windows.Add(result.RetryAfter);
            _clock.Advance(result.RetryAfter!.Value);
        }

        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(3)], windows);
    }

    [Fact]
    public async Task Throttled_WithRetryAfter_HonoursIt()
    {
        var client = Client();
        var channel = _wns.NewChannel();
        _wns.AnswerNext(channel, FakeWnsAnswer.ThrottledFor(TimeSpan.FromMinutes(10)));

        var throttled = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        _clock.Advance(TimeSpan.FromMinutes(9));
        var held = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var after = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(TimeSpan.FromMinutes(10), throttled.RetryAfter);
        Assert.Equal(WnsOutcome.Throttled, held.Outcome);
        Assert.Null(held.StatusCode);
        Assert.Equal(WnsOutcome.Delivered, after.Outcome);
        Assert.Equal(2, _wns.NotificationsTo(channel).Count);
    }

    // ---- What WNS answers ----

    [Theory]
    [InlineData(410, WnsOutcome.ChannelGone)]
    [InlineData(404, WnsOutcome.ChannelGone)]
    [InlineData(400, WnsOutcome.Refused)]
    [InlineData(403, WnsOutcome.Refused)]
    [InlineData(413, WnsOutcome.Refused)]
    [InlineData(500, WnsOutcome.Unreachable)]
    [InlineData(503, WnsOutcome.Unreachable)]
    public async Task SendRaw_WnsAnswer_IsClassifiedWithItsErrorDescription(int status, WnsOutcome expected)
    {
        var channel = _wns.NewChannel();
        _wns.Answer(channel, new FakeWnsAnswer(status, $"Scripted {status}."));

        var result = await Client().SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Contains($"X-WNS-Error-Description: Scripted {status}.", result.Detail, StringComparison.Ordinal);
        Assert.Single(_wns.NotificationsTo(channel)); // not retried
    }

    [Fact]
    public async Task SendRaw_ChannelWnsDoesNotKnow_IsGone()
    {
        var unknown = $"{_wns.BaseUrl.GetLeftPart(UriPartial.Authority)}/w/?token=never-issued";

        var result = await Client().SendRawAsync(unknown, "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.ChannelGone, result.Outcome);
        Assert.Equal(404, result.StatusCode);
    }

    [Fact]
    public async Task SendRaw_ExpiredChannel_IsGoneWithTheFakesAnswers()
    {
        var channel = _wns.NewChannel();
        _wns.Answer(channel, FakeWnsAnswer.Gone);

        var result = await Client().SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.Equal(WnsOutcome.ChannelGone, result.Outcome);
        Assert.Equal(410, result.StatusCode);
    }

    // ---- Channel URIs ----

    [Theory]
    [InlineData("https://evil.example.com/?token=CHANNELTOKEN", "evil.example.com")]
    [InlineData("https://evilnotify.windows.com/?token=CHANNELTOKEN", "evilnotify.windows.com")]
    [InlineData("https://db5p.notify.windows.com.evil.example/?token=CHANNELTOKEN", "not a WNS host")]
    [InlineData("https://notify.windows.com/?token=CHANNELTOKEN", "not a WNS host")]
    [InlineData("https://127.0.0.2:{port}/w/?token=CHANNELTOKEN", "127.0.0.2")]
    [InlineData("http://127.0.0.1:{port}/w/?token=CHANNELTOKEN", "https")]
    [InlineData("http://db5p.notify.windows.com/?token=CHANNELTOKEN", "https")]
    [InlineData("https://user:CHANNELTOKEN@db5p.notify.windows.com/", "user information")]
    [InlineData("file:///etc/CHANNELTOKEN", "absolute")]
    [InlineData("/w/?token=CHANNELTOKEN", "absolute")]
    [InlineData("not a uri CHANNELTOKEN", "absolute")]
    [InlineData("", "empty")]
    public async Task SendRaw_ChannelUriNotOnAWnsHost_IsRefusedWithoutARequest(string channelUri, string why)
    {
        channelUri = channelUri.Replace("{port}", _wns.BaseUrl.Port.ToString(), StringComparison.Ordinal);
        var client = Client();

        var result = await client.SendRawAsync(channelUri, "x"u8.ToArray(), Ct);

        Assert.False(client.IsValidChannelUri(channelUri, out var uri, out var whyNot));
        Assert.Null(uri);
        Assert.Equal(whyNot, result.Detail);
        Assert.Equal(WnsOutcome.Refused, result.Outcome);
        Assert.Null(result.StatusCode);
        Assert.Contains(why, result.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("CHANNELTOKEN", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_wns.Notifications);
        Assert.Equal(0, _wns.TokenRequestCount);
    }

    [Fact]
    public void IsValidChannelUri_TooLong_IsRefused()
    {
        var uri = "https://db5p.notify.windows.com/?token=" + new string('A', WnsClient.MaxChannelUriLength);

        Assert.False(Client().IsValidChannelUri(uri, out _, out var whyNot));
        Assert.Contains("characters", whyNot, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://db5p.notify.windows.com/?token=AwYAAAD5PRUvRGnhVdXe2G0%2fMMyTKMJtkT5Q6zr8OyGRs%2fB%3d")]
    [InlineData("https://DB5P.Notify.Windows.COM/?token=AwYAAAD5")]
    [InlineData("https://am3p.notify.windows.com:443/?token=AwYAAAD5")]
    public void IsValidChannelUri_WnsChannel_IsAccepted(string channelUri)
    {
        Assert.True(Client().IsValidChannelUri(channelUri, out var uri, out var whyNot), whyNot);
        Assert.NotNull(uri);
        Assert.Null(whyNot);
    }

    // ---- Logs and secrets ----

    [Fact]
    public async Task Logs_NeverCarryTheSecretTheAccessTokenOrTheChannelToken()
    {
        var client = Client();
        var gone = _wns.NewChannel();
        var throttled = _wns.NewChannel();
        _wns.Answer(gone, FakeWnsAnswer.Gone);
        _wns.Answer(throttled, FakeWnsAnswer.Throttled);

        await client.SendRawAsync(_wns.NewChannel(), "x"u8.ToArray(), Ct);
        _wns.RevokeAllTokens();
        await client.SendRawAsync(gone, "x"u8.ToArray(), Ct);
        await client.SendRawAsync(throttled, "x"u8.ToArray(), Ct);
        await client.SendRawAsync(throttled, "x"u8.ToArray(), Ct);
        await Client(o => o.ClientSecret = "another-wrong-secret-f00d").SendRawAsync(gone, "x"u8.ToArray(), Ct);

        var accessTokens = _wns.Notifications.Select(n => n.Authorization!["Bearer ".Length..]).Distinct().ToList();
        var channelTokens = new[] { gone, throttled }.Select(c => new Uri(c).Query["?token=".Length..]).ToList();
        Assert.Contains(_logs.Messages, m => m.Contains(WnsClient.Fingerprint(new Uri(gone).AbsoluteUri), StringComparison.Ordinal));
        Assert.Contains(_logs.Messages, m => m.Contains("127.0.0.1", StringComparison.Ordinal));
        Assert.All(_logs.Messages, message =>
        {
            Assert.DoesNotContain(_wns.ClientSecret, message, StringComparison.Ordinal);
            Assert.DoesNotContain("another-wrong-secret-f00d", message, StringComparison.Ordinal);
            Assert.All(accessTokens, token => Assert.DoesNotContain(token, message, StringComparison.Ordinal));
            Assert.All(channelTokens, token => Assert.DoesNotContain(token, message, StringComparison.Ordinal));
            Assert.All(channelTokens, token => Assert.DoesNotContain(Uri.UnescapeDataString(token), message, StringComparison.Ordinal));
        });
    }

    [Fact]
    public void Options_ToString_SaysOnlyWhetherTheSecretIsSet()
    {
        var options = new WnsOptions { PackageSid = "ms-app://s-1-15-2-1", ClientSecret = "s3cr3t-value" };

        Assert.True(options.IsConfigured);
        Assert.DoesNotContain("s3cr3t-value", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("ClientSecret = (set)", options.ToString(), StringComparison.Ordinal);
    }

    // ---- Registration ----

    [Fact]
    public async Task AddWnsPush_WithTheFakesSettings_Delivers()
    {
        using var host = await StartHostAsync(_wns.ServerSettings());
        var client = host.Services.GetRequiredService<WnsClient>();
        var channel = _wns.NewChannel();

        var result = await client.SendRawAsync(channel, "x"u8.ToArray(), Ct);

        Assert.True(result.Outcome == WnsOutcome.Delivered, result.Detail);
        Assert.Same(client, host.Services.GetRequiredService<WnsClient>());
        var options = host.Services.GetRequiredService<IOptions<WnsOptions>>().Value;
        Assert.Equal([".notify.windows.com", "127.0.0.1"], options.AllowedChannelHostSuffixes); // appended, not replaced
        Assert.True(client.IsValidChannelUri("https://db5p.notify.windows.com/?token=x", out _, out _));
    }

    [Fact]
    public async Task AddWnsPush_NothingConfigured_StartsWithPushOff()
    {
        using var host = await StartHostAsync(new Dictionary<string, string?>());

        Assert.False(host.Services.GetRequiredService<WnsClient>().IsConfigured);
    }

    [Theory]
    [InlineData("Windows:Wns:TokenEndpoint", "http://login.live.com/accesstoken.srf")]
    [InlineData("Windows:Wns:ClientSecret", "")]
    [InlineData("Windows:Wns:ServerCertificateSha256", "abc")]
    [InlineData("Windows:Wns:AllowedChannelHostSuffixes:1", "https://*.example.com/")]
    [InlineData("Windows:Wns:Timeout", "00:00:00")]
    [InlineData("Windows:Wns:ThrottleBackoffMax", "00:00:01")]
    public async Task AddWnsPush_InvalidOptions_StopStartWithAMessageNamingTheSetting(string setting, string value)
    {
        var settings = new Dictionary<string, string?>(_wns.ServerSettings()) { [setting] = value };

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => StartHostAsync(settings));

        Assert.Contains(string.Join(':', setting.Split(':').Take(3)), refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_wns.ClientSecret, refused.Message, StringComparison.Ordinal);
    }

    // ---- The fake's own checks, with requests our client would never send ----

    [Theory]
    [InlineData(null, "application/octet-stream", 401)]
    [InlineData("wns/raw", "text/plain", 400)]
    [InlineData("wns/sms", "application/octet-stream", 400)]
    [InlineData("wns/raw", "application/octet-stream", 200)]
    public async Task Fake_ChecksTheNotificationAsWnsDoes(string? type, string contentType, int status)
    {
        var channel = _wns.NewChannel();
        using var http = RawClient();
        var token = await RawTokenAsync(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel) { Content = new ByteArrayContent("x"u8.ToArray()) };
        request.Content.Headers.ContentType = new(contentType);
        if (type is not null) request.Headers.Add("X-WNS-Type", type);
        if (status != 401) request.Headers.Authorization = new("Bearer", token);

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(status, (int)response.StatusCode);
        if (status == 401) Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        if (status is not 200 and not 401) Assert.True(response.Headers.Contains("X-WNS-Error-Description"));
        Assert.Equal(status, Assert.Single(_wns.NotificationsTo(channel)).Status);
    }

    [Theory]
    [InlineData("grant_type", "password", "unsupported_grant_type")]
    [InlineData("scope", "s.notify.live.net", "invalid_scope")]
    [InlineData("client_id", "ms-app://someone-else", "invalid_client")]
    public async Task Fake_TokenEndpoint_ChecksTheClientCredentialsForm(string field, string value, string error)
    {
        using var http = RawClient();
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = _wns.PackageSid,
            ["client_secret"] = _wns.ClientSecret, ["scope"] = "notify.windows.com",
        };
        form[field] = value;

        using var response = await http.PostAsync(_wns.TokenEndpoint, new FormUrlEncodedContent(form), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(error, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fake_TokensExpireByItsClock()
    {
        _wns.TokenLifetime = TimeSpan.FromMinutes(10);
        var channel = _wns.NewChannel();
        using var http = RawClient();
        var token = await RawTokenAsync(http);
        _clock.Advance(TimeSpan.FromMinutes(10));
        using var request = new HttpRequestMessage(HttpMethod.Post, channel) { Content = new ByteArrayContent("x"u8.ToArray()) };
        request.Content.Headers.ContentType = new("application/octet-stream");
        request.Headers.Add("X-WNS-Type", "wns/raw");
        request.Headers.Authorization = new("Bearer", token);

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    // ---- Helpers ----

    private WnsClient Client(Action<WnsOptions>? configure = null)
    {
        var options = new WnsOptions
        {
            PackageSid = _wns.PackageSid,
            ClientSecret = _wns.ClientSecret,
            TokenEndpoint = _wns.TokenEndpoint,
            ServerCertificateSha256 = _wns.ServerCertificateSha256,
            AllowedChannelHostSuffixes = [".notify.windows.com", "127.0.0.1"],
        };
        configure?.Invoke(options);
        var client = new WnsClient(Options.Create(options), _clock, _logging.CreateLogger<WnsClient>());
        _disposables.Add(client);
        return client;
    }

    /// <summary>AddWnsPush in a plain host, as the server will wire it: options from configuration, checked at start.</summary>
    private async Task<IHost> StartHostAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddWnsPush(builder.Configuration);
        var host = builder.Build();
        try
        {
            await host.StartAsync(Ct);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return host;
    }

    private HttpClient RawClient() => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())) == _wns.ServerCertificateSha256,
        },
    });

    private async Task<string> RawTokenAsync(HttpClient http)
    {
        using var response = await http.PostAsync(_wns.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = _wns.PackageSid,
            ["client_secret"] = _wns.ClientSecret, ["scope"] = "notify.windows.com",
        }), Ct);
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("bearer", json.RootElement.GetProperty("token_type").GetString());
        Assert.Equal((long)_wns.TokenLifetime.TotalSeconds, json.RootElement.GetProperty("expires_in").GetInt64());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }
}
