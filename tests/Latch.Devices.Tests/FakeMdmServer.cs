using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Latch.Protocols.Apple;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Latch.Devices.Tests;

public enum SignatureVerdict
{
    Valid,
    Missing,
    Invalid,
    UnknownSigner,
}

/// <summary>What the fake server saw in one request's Mdm-Signature header.</summary>
public sealed record SeenSignature(string Path, SignatureVerdict Verdict, string? DigestOid, int CertificateCount);

/// <summary>
/// A tiny MDM server in memory: it verifies every Mdm-Signature with SignedCms (detached), decodes
/// check-ins and reports with our codec, and serves scripted commands (per device, or to any device).
/// A command answered NotNow is offered again at the device's next Idle. Requests with a missing or bad
/// signature are refused with 400, as SPEC §6 says.
/// </summary>
public sealed class FakeMdmServer : IAsyncDisposable
{
    public const string GoodToken = "good-token";
    public const string ReadOnlyToken = "read-only-token";

    private static readonly Uri Base = new("http://localhost/");

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<CheckinMessage> _checkins = [];
    private readonly List<CommandResponse> _reports = [];
    private readonly List<SeenSignature> _signatures = [];
    private readonly Dictionary<string, LinkedList<MdmCommand>> _queues = [];
    private readonly Dictionary<string, MdmCommand> _sent = [];
    private readonly Dictionary<string, List<MdmCommand>> _deferred = [];
    private int _inFlight;

    private FakeMdmServer(WebApplication app, TestPki pki)
    {
        _app = app;
        Pki = pki;
    }

    public TestPki Pki { get; }

    public HttpClient Client { get; private set; } = null!;

    public static Uri Url => Base;

    /// <summary>Answers a request instead of the normal handling when it returns a status code (e.g. 500).</summary>
    public Func<string, byte[], int?>? Refuse { get; set; }

    /// <summary>Commands queued for a device as soon as it authenticates (the CLI tests cannot know UDIDs earlier).</summary>
    public Func<Authenticate, IEnumerable<MdmCommand>>? CommandsOnEnrol { get; set; }

    /// <summary>What the profile endpoint serves instead of a good profile.</summary>
    public byte[]? ProfileOverride { get; set; }

    public int MaxConcurrentSessions { get; private set; }

    public IReadOnlyList<CheckinMessage> Checkins { get { lock (_lock) return [.. _checkins]; } }

    public IReadOnlyList<CommandResponse> Reports { get { lock (_lock) return [.. _reports]; } }

    public IReadOnlyList<SeenSignature> Signatures { get { lock (_lock) return [.. _signatures]; } }

    public static async Task<FakeMdmServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeMdmServer(app, new TestPki());
        app.MapPut("/mdm/checkin", server.CheckinAsync);
        app.MapPut("/mdm/server", server.CommandAsync);
        app.MapGet("/v1.0/latch/enrollmentProfiles/apple", server.ProfileAsync);
        await app.StartAsync();
        server.Client = app.GetTestClient();
        return server;
    }

    /// <summary>A good signed profile for this server.</summary>
    public byte[] Profile(bool signMessage = true) => Pki.Profile(Base, signMessage);

    /// <summary>Queues a command for one device (by UDID), or for whichever device asks first.</summary>
    public void Enqueue(MdmCommand command, string? udid = null)
    {
        lock (_lock)
        {
            Queue(udid ?? "*").AddLast(command);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
        Pki.Dispose();
    }

    private async Task CheckinAsync(HttpContext context)
    {
        var body = await ReadAsync(context, CheckinMessage.ContentType);
        if (body is null)
        {
            return;
        }

        var message = CheckinMessage.Decode(body);
        lock (_lock)
        {
            _checkins.Add(message);
            if (message is Authenticate authenticate && CommandsOnEnrol is { } commands)
            {
                foreach (var command in commands(authenticate))
                {
                    Queue(authenticate.UDID!).AddLast(command);
                }
            }
        }
    }

    private async Task CommandAsync(HttpContext context)
    {
        var concurrent = Interlocked.Increment(ref _inFlight);
        try
        {
            lock (_lock)
            {
                MaxConcurrentSessions = Math.Max(MaxConcurrentSessions, concurrent);
            }

            var body = await ReadAsync(context, CommandResponse.ContentType);
            if (body is null)
            {
                return;
            }

            var report = CommandResponse.Decode(body);
            MdmCommand? next;
            lock (_lock)
            {
                _reports.Add(report);
                var udid = report.UDID!;
                if (report.Status == CommandResponseStatus.Idle && _deferred.Remove(udid, out var deferred))
                {
                    // A new session: what the device put off before is offered again, first.
                    foreach (var command in Enumerable.Reverse(deferred))
                    {
                        Queue(udid).AddFirst(command);
                    }
                }
                else if (report.Status == CommandResponseStatus.NotNow && _sent.TryGetValue(report.CommandUUID!, out var putOff))
                {
                    // Not again in this session: the device said it cannot now.
                    (_deferred.TryGetValue(udid, out var list) ? list : _deferred[udid] = []).Add(putOff);
                }

                next = Dequeue(udid) ?? Dequeue("*");
                if (next is not null)
                {
                    _sent[next.CommandUUID] = next;
                }
            }

            if (report.Status == CommandResponseStatus.Idle)
            {
                // Room for a second session to overlap, if the device failed to serialise them.
                await Task.Delay(50);
            }

            if (next is not null)
            {
                context.Response.ContentType = "application/xml";
                await context.Response.Body.WriteAsync(next.Encode());
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private Task ProfileAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization == $"Bearer {ReadOnlyToken}")
        {
            context.Response.StatusCode = 403;
            return context.Response.WriteAsJsonAsync(new { error = new { code = "forbidden", message = "Read Only accounts cannot enrol devices." } });
        }

        if (authorization != $"Bearer {GoodToken}")
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        }

        context.Response.ContentType = "application/x-apple-aspen-config";
        return context.Response.Body.WriteAsync(ProfileOverride ?? Profile()).AsTask();
    }

    // The body, once its content type and signature pass; null when the request was answered already.
    private async Task<byte[]?> ReadAsync(HttpContext context, string contentType)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var path = context.Request.Path.Value!;
        if (Refuse?.Invoke(path, body) is { } status)
        {
            context.Response.StatusCode = status;
            return null;
        }

        var seen = Verify(path, body, context.Request.Headers["Mdm-Signature"].ToString());
        lock (_lock)
        {
            _signatures.Add(seen);
        }

        if (context.Request.ContentType != contentType || seen.Verdict != SignatureVerdict.Valid)
        {
            context.Response.StatusCode = 400;
            return null;
        }

        return body;
    }

    private SeenSignature Verify(string path, byte[] body, string header)
    {
        if (header.Length == 0)
        {
            return new(path, SignatureVerdict.Missing, null, 0);
        }

        var cms = new SignedCms(new ContentInfo(body), detached: true);
        try
        {
            cms.Decode(Convert.FromBase64String(header));
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return new(path, SignatureVerdict.Invalid, null, 0);
        }

        var signer = cms.SignerInfos[0];
        var verdict = signer.Certificate is { } certificate && Pki.Issued(certificate) ? SignatureVerdict.Valid : SignatureVerdict.UnknownSigner;
        return new(path, verdict, signer.DigestAlgorithm.Value, cms.Certificates.Count);
    }

    private LinkedList<MdmCommand> Queue(string key) =>
        _queues.TryGetValue(key, out var queue) ? queue : _queues[key] = new LinkedList<MdmCommand>();

    private MdmCommand? Dequeue(string key)
    {
        if (!_queues.TryGetValue(key, out var queue) || queue.First is not { } first)
        {
            return null;
        }

        queue.RemoveFirst();
        return first.Value;
    }
}
