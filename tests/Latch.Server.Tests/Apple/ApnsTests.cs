using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Core.Tests.Storage;
using Latch.Core.Users;
using Latch.Devices.Apple;
using Latch.Server.Apple.Push;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests.Apple;

/// <summary>
/// The real APNs client and dispatcher against the fake APNs from Latch.Devices, over real TLS and HTTP/2 on
/// 127.0.0.1, with push certificates made here the way Apple's look (the topic in the subject's UID).
/// </summary>
public sealed class ApnsTests : IAsyncLifetime
{
    private const string Topic = "com.apple.mgmt.External.9b0c3e8e-3c4f-4d4e-9a31-5f1de3a0c7b2";
    private const string CertificatePassword = "push-certificate-password";

    private readonly string _folder = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), "latch-apns-tests", Guid.NewGuid().ToString("N"))).FullName;
    private readonly List<IDisposable> _disposables = [];
    private FakeApns _apns = null!;
    private string _certificatePath = null!;

    public async ValueTask InitializeAsync()
    {
        _apns = await FakeApns.StartAsync();
        _certificatePath = WritePushCertificate(Topic);
    }

    public async ValueTask DisposeAsync()
    {
        await _apns.DisposeAsync();
        foreach (var disposable in _disposables) disposable.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    // ---- The client, one push at a time ----

    [Fact]
    public async Task Push_PostsMdmPayloadToTheDevicePathWithApnsHeaders()
    {
        var client = Client();
        var token = NewToken();
        var pushMagic = Guid.NewGuid().ToString().ToUpperInvariant();

        var result = await client.PushAsync(new ApplePushTarget(token.ToUpperInvariant(), pushMagic, client.Topic), TestContext.Current.CancellationToken);

        Assert.True(result.Outcome == PushOutcome.Sent, result.Reason);
        Assert.Equal(200, result.Status);
        var push = Assert.Single(_apns.Pushes);
        Assert.Equal(push.ApnsId, result.ApnsId);
        Assert.Equal("POST", push.Method);
        Assert.Equal($"/3/device/{token}", push.Path); // lower-case hex, whatever case the caller gave
        Assert.Equal(Topic, client.Topic);
        Assert.Equal(Topic, push.Topic);
        Assert.Equal("mdm", push.PushType);
        Assert.Equal("10", push.Priority);
        Assert.Null(push.Expiration);
        Assert.StartsWith("application/json", push.Headers["content-type"], StringComparison.Ordinal);
        using (var body = JsonDocument.Parse(push.Body))
        {
            var property = Assert.Single(body.RootElement.EnumerateObject());
            Assert.Equal("mdm", property.Name);
            Assert.Equal(pushMagic, property.Value.GetString());
        }
        Assert.Contains("CN=APSP:" + Topic, push.ClientCertificateSubject, StringComparison.Ordinal);
        Assert.Equal(200, push.Status);
    }

    [Fact]
    public async Task Push_SpeaksHttp2AndReusesOneConnectionForManyPushes()
    {
        var client = Client();
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < 20; i++)
            Assert.Equal(PushOutcome.Sent, (await client.PushAsync(Target(NewToken()), ct)).Outcome);
        var together = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.PushAsync(Target(NewToken()), ct)));
        Assert.All(together, result => Assert.Equal(PushOutcome.Sent, result.Outcome));

        Assert.Equal(60, _apns.Pushes.Count);
        Assert.All(_apns.Pushes, push => Assert.Equal("HTTP/2", push.Protocol));
        Assert.Single(_apns.Pushes.Select(p => p.ConnectionId).Distinct());
    }

    [Theory]
    [InlineData(410, "Unregistered", PushOutcome.TokenInvalid)]
    [InlineData(410, "ExpiredToken", PushOutcome.TokenInvalid)]
    [InlineData(400, "BadDeviceToken", PushOutcome.TokenInvalid)]
    [InlineData(429, "TooManyRequests", PushOutcome.RetryLater)]
    [InlineData(500, "InternalServerError", PushOutcome.RetryLater)]
    [InlineData(503, "ServiceUnavailable", PushOutcome.RetryLater)]
    [InlineData(403, "BadCertificate", PushOutcome.Refused)]
    [InlineData(400, "DeviceTokenNotForTopic", PushOutcome.Refused)]
    public async Task Push_ApnsAnswer_IsClassified(int status, string reason, PushOutcome expected)
    {
        var token = NewToken();
        _apns.Answer(token, new FakeApnsAnswer(status, reason));

        var result = await Client().PushAsync(Target(token), TestContext.Current.CancellationToken);

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(status, result.Status);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public async Task Push_WithoutCertificate_IsDisabledAndSendsNothing()
    {
        var client = Client(certificatePath: null);

        var result = await client.PushAsync(Target(NewToken()), TestContext.Current.CancellationToken);

        Assert.False(client.IsEnabled);
        Assert.Equal(PushOutcome.Disabled, result.Outcome);
        Assert.Equal(ApnsOptions.NoCertificateTopic, client.Topic);
        Assert.Empty(_apns.Pushes);
    }

    [Fact]
    public void Topic_WithoutCertificate_ComesFromConfiguration()
    {
        var client = Client(certificatePath: null, configure: o => o.Topic = "com.apple.mgmt.External.configured");

        Assert.Equal("com.apple.mgmt.External.configured", client.Topic);
    }

    [Fact]
    public void Topic_CertificateWithoutUid_FallsBackToConfiguration()
    {
        var path = WritePushCertificate(topic: null);

        var client = Client(certificatePath: path, configure: o => o.Topic = "com.apple.mgmt.External.fallback");

        Assert.True(client.IsEnabled);
        Assert.Equal("com.apple.mgmt.External.fallback", client.Topic);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData(null)] // no pin: the system's trust store, which does not know the fake's self-signed certificate
    public async Task Push_ServerCertificateNotTrusted_IsRefusedAndNothingIsSent(string? pin)
    {
        var client = Client(configure: o => o.ServerCertificateSha256 = pin);

        var result = await client.PushAsync(Target(NewToken()), TestContext.Current.CancellationToken);

        Assert.Equal(PushOutcome.Refused, result.Outcome);
        Assert.Contains("TLS", result.Reason, StringComparison.Ordinal);
        Assert.Empty(_apns.Pushes);
    }

    [Fact]
    public async Task Push_PinWithColonsAndLowerCase_IsAccepted()
    {
        var pin = string.Join(':', _apns.ServerCertificateSha256.ToLowerInvariant().Chunk(2).Select(pair => new string(pair)));

        var result = await Client(configure: o => o.ServerCertificateSha256 = pin).PushAsync(Target(NewToken()), TestContext.Current.CancellationToken);

        Assert.Equal(PushOutcome.Sent, result.Outcome);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-hex-at-all-not-hex-at-all-not-hex-at-all-not-hex-at-all-xx")]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef0")] // odd length
    [InlineData("0123456789abcdef")] // too short for an APNs token
    [InlineData("0123456789abcdef0123456789abcdef/../../3/device/0123456789abcdef0123456789abcdef")]
    public async Task Push_MalformedToken_IsRefusedBeforeSending(string token)
    {
        var client = Client();
        using var host = await StartPushHostAsync();

        var result = await client.PushAsync(new ApplePushTarget(token, "magic", Topic), TestContext.Current.CancellationToken);
        var queued = host.Services.GetRequiredService<ApplePushDispatcher>().Enqueue(new ApplePushTarget(token, "magic", Topic));

        Assert.Equal(PushOutcome.Refused, result.Outcome);
        Assert.Contains("hexadecimal", result.Reason, StringComparison.Ordinal);
        Assert.False(queued);
        Assert.Empty(_apns.Pushes);
    }

    [Fact]
    public async Task Push_ExpiredPushCertificate_IsRefused()
    {
        var now = DateTimeOffset.UtcNow;
        var path = WritePushCertificate(Topic, notBefore: now.AddYears(-1), notAfter: now.AddDays(-1));

        var result = await Client(certificatePath: path).PushAsync(Target(NewToken()), TestContext.Current.CancellationToken);

        Assert.Equal(PushOutcome.Refused, result.Outcome);
        Assert.Equal(403, result.Status);
        Assert.Equal("BadCertificate", result.Reason);
    }

    [Fact]
    public async Task Push_WithPushExpiration_SendsApnsExpirationInEpochSeconds()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var client = Client(configure: o => o.PushExpiration = TimeSpan.FromDays(1), clock: clock);

        await client.PushAsync(Target(NewToken()), TestContext.Current.CancellationToken);

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds().ToString(), Assert.Single(_apns.Pushes).Expiration);
    }

    // ---- The dispatcher ----

    [Fact]
    public async Task Dispatcher_Unregistered_MarksTheEnrolmentsPushTokenInvalid()
    {
        await using var database = await SqliteBackend.Instance.CreateDatabaseAsync();
        var dead = NewToken();
        var alive = NewToken();
        Guid deadEnrollment, aliveEnrollment;
        await using (var db = database.NewContext())
        {
            var user = new User { UserPrincipalName = "ada@test.example", DisplayName = "Ada" };
            db.Users.Add(user);
            var enrollments = new[] { dead, alive }.Select(token => new AppleEnrollment
            {
                UserId = user.Id, IssuedBy = "ada@test.example", CertificateThumbprint = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
                State = AppleEnrollmentState.Enrolled, Topic = Topic, PushToken = token, PushMagic = Guid.NewGuid().ToString(),
            }).ToList();
            db.AppleEnrollments.AddRange(enrollments);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
            (deadEnrollment, aliveEnrollment) = (enrollments[0].Id, enrollments[1].Id);
        }
        _apns.Answer(dead, FakeApnsAnswer.Unregistered);
        using var host = await StartPushHostAsync(database);
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        Assert.True(dispatcher.Enqueue(Target(dead)));
        Assert.True(dispatcher.Enqueue(Target(alive)));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        await using (var db = database.NewContext())
        {
            var rows = await db.AppleEnrollments.ToDictionaryAsync(e => e.Id, e => e.PushTokenInvalidAt, TestContext.Current.CancellationToken);
            Assert.NotNull(rows[deadEnrollment]);
            Assert.Null(rows[aliveEnrollment]);
        }
        Assert.Equal(1, dispatcher.Counters.Invalid);
        Assert.Equal(1, dispatcher.Counters.Sent);
        Assert.Single(_apns.PushesTo(dead)); // a dead token is not retried
    }

    [Fact]
    public async Task Dispatcher_TooManyRequestsThenOk_RetriesAndSends()
    {
        var token = NewToken();
        _apns.AnswerNext(token, FakeApnsAnswer.TooManyRequests, times: 2);
        using var host = await StartPushHostAsync();
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        dispatcher.Enqueue(Target(token));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Equal([429, 429, 200], _apns.PushesTo(token).Select(p => p.Status));
        Assert.Equal(new ApplePushCounters(Sent: 1, Invalid: 0, Refused: 0, Failed: 0, Retried: 2, Coalesced: 0, Dropped: 0), dispatcher.Counters);
    }

    [Fact]
    public async Task Dispatcher_ServerErrorsPastMaxAttempts_CountsFailed()
    {
        var token = NewToken();
        _apns.Answer(token, FakeApnsAnswer.InternalServerError);
        using var host = await StartPushHostAsync(settings: new() { ["Apple:Apns:MaxAttempts"] = "3" });
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        dispatcher.Enqueue(Target(token));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, _apns.PushesTo(token).Count);
        Assert.Equal(new ApplePushCounters(Sent: 0, Invalid: 0, Refused: 0, Failed: 1, Retried: 2, Coalesced: 0, Dropped: 0), dispatcher.Counters);
    }

    [Fact]
    public async Task Dispatcher_RefusedPush_IsNotRetried()
    {
        var token = NewToken();
        _apns.Answer(token, FakeApnsAnswer.BadCertificateEnvironment);
        using var host = await StartPushHostAsync();
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        dispatcher.Enqueue(Target(token));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Single(_apns.PushesTo(token));
        Assert.Equal(1, dispatcher.Counters.Refused);
        Assert.Equal(0, dispatcher.Counters.Retried);
    }

    [Fact]
    public async Task Dispatcher_SameTokenQueuedTwice_IsPushedOnceWithTheNewestPushMagic()
    {
        var token = NewToken();
        using var host = await StartPushHostAsync(start: false); // nothing is sent until the host starts
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        Assert.True(dispatcher.Enqueue(new ApplePushTarget(token, "first", Topic)));
        Assert.True(dispatcher.Enqueue(new ApplePushTarget(token.ToUpperInvariant(), "second", Topic)));
        Assert.True(dispatcher.Enqueue(new ApplePushTarget(token, "third", Topic)));
        await host.StartAsync(TestContext.Current.CancellationToken);
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Equal("third", Assert.Single(_apns.PushesTo(token)).PushMagic);
        Assert.Equal(2, dispatcher.Counters.Coalesced);
        Assert.Equal(1, dispatcher.Counters.Sent);
    }

    [Fact]
    public async Task Dispatcher_FullQueue_DropsInsteadOfBlocking()
    {
        using var host = await StartPushHostAsync(settings: new() { ["Apple:Apns:QueueCapacity"] = "2" }, start: false);
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        var accepted = Enumerable.Range(0, 5).Select(_ => dispatcher.Enqueue(Target(NewToken()))).ToList();
        await host.StartAsync(TestContext.Current.CancellationToken);
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Equal([true, true, false, false, false], accepted);
        Assert.Equal(3, dispatcher.Counters.Dropped);
        Assert.Equal(2, dispatcher.Counters.Sent);
        Assert.Equal(2, _apns.Pushes.Count);
    }

    [Fact]
    public async Task Dispatcher_ManyDevices_AllWokenOverOneConnection()
    {
        var woken = new ConcurrentBag<string>();
        _apns.OnPush = push => { woken.Add(push.DeviceToken); return Task.CompletedTask; };
        var tokens = Enumerable.Range(0, 300).Select(_ => NewToken()).ToList();
        using var host = await StartPushHostAsync();
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();
        await host.Services.GetRequiredService<ApnsClient>().PushAsync(Target(NewToken()), TestContext.Current.CancellationToken); // connect first

        Assert.All(tokens, token => Assert.True(dispatcher.Enqueue(Target(token))));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);
        await _apns.DisposeAsync(); // waits for the OnPush callbacks still running

        Assert.Equal(300, dispatcher.Counters.Sent);
        Assert.Equal(tokens.Order(), woken.Where(tokens.Contains).Order());
        Assert.Single(_apns.Pushes.Select(p => p.ConnectionId).Distinct());
    }

    [Fact]
    public async Task Dispatcher_WithoutCertificate_SaysOnceThatPushesAreOffAndQueuesNothing()
    {
        var logs = new LogCapture();
        using var host = await StartPushHostAsync(certificatePath: null, logs: logs);
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        var queued = dispatcher.Enqueue(Target(NewToken()));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.False(dispatcher.IsEnabled);
        Assert.False(queued);
        Assert.Empty(_apns.Pushes);
        Assert.Single(logs.Messages, m => m == "APNs pushes are off: no push certificate configured; devices get their commands at their next check-in.");
    }

    [Fact]
    public async Task Dispatcher_NeverLogsPushMagicOrWholeTokens()
    {
        var logs = new LogCapture();
        var dead = NewToken();
        var retried = NewToken();
        _apns.Answer(dead, FakeApnsAnswer.Unregistered);
        _apns.AnswerNext(retried, FakeApnsAnswer.ServiceUnavailable);
        using var host = await StartPushHostAsync(logs: logs, minimumLevel: LogLevel.Trace);
        var dispatcher = host.Services.GetRequiredService<ApplePushDispatcher>();

        dispatcher.Enqueue(new ApplePushTarget(dead, "secret-magic-1", Topic));
        dispatcher.Enqueue(new ApplePushTarget(retried, "secret-magic-2", Topic));
        await dispatcher.WhenIdleAsync(TestContext.Current.CancellationToken);

        Assert.Contains(logs.Messages, m => m.Contains(dead[..8], StringComparison.Ordinal)); // the prefix is there ...
        Assert.DoesNotContain(logs.Messages, m => m.Contains(dead, StringComparison.Ordinal) || m.Contains(retried, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("secret-magic", StringComparison.Ordinal));
    }

    // ---- Options ----

    [Theory]
    [InlineData("Apple:Apns:BaseUrl", "http://api.push.apple.com")]
    [InlineData("Apple:Apns:ServerCertificateSha256", "abc")]
    [InlineData("Apple:Apns:CertificatePath", "/nonexistent/push.p12")]
    [InlineData("Apple:Apns:CertificatePassword", "not-the-password")]
    [InlineData("Apple:Apns:MaxAttempts", "0")]
    [InlineData("Apple:Apns:RetryBaseDelay", "00:00:00")]
    public async Task Options_Invalid_StopStartWithAMessageNamingTheSetting(string setting, string value)
    {
        using var host = await StartPushHostAsync(settings: new() { [setting] = value }, start: false);

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
    }

    // ---- The fake's own validation, with requests our client would never send ----

    [Theory]
    [InlineData("POST", "/3/device/{token}", null, "mdm", "{\"mdm\":\"m\"}", 400, "MissingTopic")]
    [InlineData("POST", "/3/device/{token}", Topic, "alert", "{\"mdm\":\"m\"}", 400, "InvalidPushType")]
    [InlineData("POST", "/3/device/{token}", Topic, null, "{\"mdm\":\"m\"}", 400, "InvalidPushType")]
    [InlineData("POST", "/3/device/{token}", "com.apple.mgmt.External.someone-else", "mdm", "{\"mdm\":\"m\"}", 400, "TopicDisallowed")]
    [InlineData("POST", "/3/device/{token}", Topic, "mdm", "", 400, "PayloadEmpty")]
    [InlineData("POST", "/3/device/{token}", Topic, "mdm", "{\"aps\":{}}", 400, "PayloadEmpty")]
    [InlineData("POST", "/3/device/not-a-token", Topic, "mdm", "{\"mdm\":\"m\"}", 400, "BadDeviceToken")]
    [InlineData("POST", "/3/device/", Topic, "mdm", "{\"mdm\":\"m\"}", 400, "MissingDeviceToken")]
    [InlineData("POST", "/2/device/{token}", Topic, "mdm", "{\"mdm\":\"m\"}", 404, "BadPath")]
    [InlineData("PUT", "/3/device/{token}", Topic, "mdm", "{\"mdm\":\"m\"}", 405, "MethodNotAllowed")]
    public async Task Fake_MalformedRequest_AnswersApnsReason(
        string method, string path, string? topic, string? pushType, string body, int status, string reason)
    {
        var woken = 0;
        _apns.OnPush = _ => { Interlocked.Increment(ref woken); return Task.CompletedTask; };
        using var http = RawClient(PushCertificate());
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{token}", NewToken(), StringComparison.Ordinal))
        {
            Version = HttpVersion.Version20,
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (topic is not null) request.Headers.Add("apns-topic", topic);
        if (pushType is not null) request.Headers.Add("apns-push-type", pushType);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(reason, json.RootElement.GetProperty("reason").GetString());
        Assert.True(response.Headers.Contains("apns-id"));
        Assert.Equal(status, Assert.Single(_apns.Pushes).Status);
        await _apns.DisposeAsync();
        Assert.Equal(0, woken);
    }

    [Fact]
    public async Task Fake_Unregistered_CarriesATimestamp()
    {
        var token = NewToken();
        _apns.Answer(token, FakeApnsAnswer.Unregistered);
        using var http = RawClient(PushCertificate());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/3/device/{token}") { Version = HttpVersion.Version20, Content = new StringContent("{\"mdm\":\"m\"}") };
        request.Headers.Add("apns-topic", Topic);
        request.Headers.Add("apns-push-type", "mdm");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("Unregistered", json.RootElement.GetProperty("reason").GetString());
        Assert.True(json.RootElement.GetProperty("timestamp").GetInt64() > 0);
    }

    [Fact]
    public async Task Fake_WithoutClientCertificate_RefusesTheConnection()
    {
        using var http = RawClient(clientCertificate: null);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/3/device/{NewToken()}") { Version = HttpVersion.Version20, Content = new StringContent("{\"mdm\":\"m\"}") };
        request.Headers.Add("apns-topic", Topic);
        request.Headers.Add("apns-push-type", "mdm");

        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(request, TestContext.Current.CancellationToken));

        Assert.Empty(_apns.Pushes);
    }

    [Fact]
    public async Task Fake_OnPush_RunsOnlyAfterA200()
    {
        var dead = NewToken();
        var alive = NewToken();
        _apns.Answer(dead, FakeApnsAnswer.Unregistered);
        var woken = new ConcurrentQueue<FakeApnsPush>();
        _apns.OnPush = push => { woken.Enqueue(push); return Task.CompletedTask; };
        var client = Client();

        Assert.Equal(PushOutcome.TokenInvalid, (await client.PushAsync(Target(dead), TestContext.Current.CancellationToken)).Outcome);
        Assert.Equal(PushOutcome.Sent, (await client.PushAsync(Target(alive), TestContext.Current.CancellationToken)).Outcome);
        await _apns.DisposeAsync();

        Assert.Equal(alive, Assert.Single(woken).DeviceToken);
        Assert.Empty(_apns.CallbackErrors);
    }

    [Fact]
    public void Fake_CreatePushCertificate_CarriesTheTopicAsUid()
    {
        using var certificate = FakeApns.CreatePushCertificate(Topic);

        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(Topic, ApnsClient.TopicOf(certificate));
        Assert.Equal(Topic, FakeApns.TopicOf(certificate));
    }

    // ---- Helpers ----

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static ApplePushTarget Target(string token) => new(token, Guid.NewGuid().ToString(), Topic);

    private ApnsClient Client(string? certificatePath = "", Action<ApnsOptions>? configure = null, TimeProvider? clock = null)
    {
        var options = new ApnsOptions
        {
            BaseUrl = _apns.BaseUrl.ToString(),
            CertificatePath = certificatePath == "" ? _certificatePath : certificatePath,
            CertificatePassword = certificatePath is null ? null : CertificatePassword,
            ServerCertificateSha256 = _apns.ServerCertificateSha256,
        };
        configure?.Invoke(options);
        var client = new ApnsClient(Options.Create(options), clock ?? TimeProvider.System, NullLogger<ApnsClient>.Instance);
        _disposables.Add(client);
        return client;
    }

    /// <summary>AddApplePush in a plain host, as the server will wire it: options from configuration, checked at start.</summary>
    private async Task<IHost> StartPushHostAsync(
        TestDatabase? database = null, Dictionary<string, string?>? settings = null, string? certificatePath = "",
        bool start = true, LogCapture? logs = null, LogLevel minimumLevel = LogLevel.Information)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var configuration = new Dictionary<string, string?>
        {
            ["Apple:Apns:BaseUrl"] = _apns.BaseUrl.ToString(),
            ["Apple:Apns:ServerCertificateSha256"] = _apns.ServerCertificateSha256,
            ["Apple:Apns:RetryBaseDelay"] = "00:00:00.001",
            ["Apple:Apns:RetryMaxDelay"] = "00:00:00.010",
        };
        if (certificatePath is not null)
        {
            configuration["Apple:Apns:CertificatePath"] = certificatePath == "" ? _certificatePath : certificatePath;
            configuration["Apple:Apns:CertificatePassword"] = CertificatePassword;
        }
        foreach (var (key, value) in settings ?? []) configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.SetMinimumLevel(minimumLevel);
        if (logs is not null) builder.Logging.AddProvider(logs);
        if (database is not null) builder.Services.AddDbContext<LatchDbContext>(database.Configure);
        builder.Services.AddApplePush(builder.Configuration);
        var host = builder.Build();
        if (start) await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    private HttpClient RawClient(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate?.GetCertHashString(HashAlgorithmName.SHA256) == _apns.ServerCertificateSha256,
                ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = _apns.BaseUrl,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    private string WritePushCertificate(string? topic, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var path = Path.Combine(_folder, $"push-{Guid.NewGuid():N}.p12");
        File.WriteAllBytes(path, topic == Topic && notBefore is null && notAfter is null
            ? StandardPushCertificate.Value
            : PushCertificatePkcs12(topic, notBefore, notAfter));
        return path;
    }

    /// <summary>The standard push certificate (valid, topic <see cref="Topic"/>) as a client certificate.</summary>
    private X509Certificate2 PushCertificate()
    {
        var certificate = X509CertificateLoader.LoadPkcs12(StandardPushCertificate.Value, CertificatePassword);
        _disposables.Add(certificate);
        return certificate;
    }

    // RSA key generation is most of a test's time on a small machine: the standard certificate is made once.
    private static readonly Lazy<byte[]> StandardPushCertificate = new(() => PushCertificatePkcs12(Topic, null, null));

    /// <summary>A push certificate shaped like Apple's MDM ones (<c>UID=topic, CN=APSP:topic</c>, client authentication), as PKCS#12.</summary>
    private static byte[] PushCertificatePkcs12(string? topic, DateTimeOffset? notBefore, DateTimeOffset? notAfter)
    {
        var subject = new X500DistinguishedNameBuilder();
        if (topic is not null) subject.Add(ApnsClient.TopicAttributeOid, topic, UniversalTagNumber.UTF8String);
        subject.AddCommonName("APSP:" + (topic ?? "no-topic"));
        subject.AddCountryOrRegion("US");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(notBefore ?? now.AddMinutes(-5), notAfter ?? now.AddYears(1));
        return certificate.Export(X509ContentType.Pkcs12, CertificatePassword);
    }
}
