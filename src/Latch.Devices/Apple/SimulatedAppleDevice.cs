using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Latch.Protocols.Apple;

namespace Latch.Devices.Apple;

// A simulated iPhone, iPad or Mac enrolled with a signed profile: it checks in, answers the command
// channel as the real OS does (Commands.cs), and signs every request with the profile's identity.
// https://developer.apple.com/documentation/devicemanagement/check-in
// https://developer.apple.com/documentation/devicemanagement/commands-and-queries
public sealed partial class SimulatedAppleDevice : IDisposable
{
    private readonly HttpClient _http;
    private readonly AppleHardware _hardware;
    private readonly SimulatedAppleDeviceOptions _options;
    private readonly string _userAgent;

    // One session at a time; a push that arrives mid-session queues at most one session after it.
    private readonly SemaphoreSlim _session = new(1, 1);
    private int _pushesWaiting;

    private readonly Lock _state = new();
    private readonly List<ReceivedCommand> _received = [];
    private int _sequence;
    private (int Remaining, Func<string, bool>? RequestType)? _notNow;
    private byte[] _token;
    private byte[]? _unlockToken;
    private X509Certificate2? _impostor;
    private AppleHttpError? _lastHttpError;
    private volatile bool _passcodeSet;
    private volatile bool _locked;

    // Throws AppleProfileException when the profile's signature or content is not acceptable.
    public SimulatedAppleDevice(
        ReadOnlyMemory<byte> signedProfile, AppleDeviceKind kind, HttpClient http, SimulatedAppleDeviceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _options = options ?? new SimulatedAppleDeviceOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxCommandsPerSession, 1, nameof(options));
        _hardware = AppleHardware.For(kind);
        _http = http;
        Profile = AppleEnrollmentProfile.Read(signedProfile);
        Kind = kind;
        Udid = _options.Udid ?? _hardware.NewUdid();
        SerialNumber = _options.SerialNumber ?? AppleHardware.NewSerialNumber();
        DeviceName = _options.DeviceName ?? $"Simulated {_hardware.Family} {SerialNumber[^4..]}";
        OSVersion = _options.OSVersion ?? _hardware.OSVersion;
        BuildVersion = _options.BuildVersion ?? _hardware.BuildVersion;
        Imei = kind == AppleDeviceKind.IPhone ? AppleHardware.NewImei() : null;
        IsSupervised = _options.Supervised;
        _passcodeSet = _options.PasscodeSet;
        _token = RandomNumberGenerator.GetBytes(32);
        PushMagic = Guid.NewGuid().ToString("D").ToUpperInvariant();
        _unlockToken = IsIosFamily ? AppleHardware.NewUnlockToken() : null;
        _userAgent = IsIosFamily ? "MDM/1.0 (Latch simulated device)" : "MDM-OSX/1.0 (Latch simulated device)";
        if (_options.CommandsDirectory is { } folder)
        {
            Directory.CreateDirectory(folder);
        }
    }

    public AppleDeviceKind Kind { get; }

    public AppleEnrollmentProfile Profile { get; }

    public string Udid { get; }

    public string SerialNumber { get; }

    public string DeviceName { get; }

    // iOS, iPadOS or macOS.
    public string OSName => _hardware.OSName;

    public string OSVersion { get; }

    public string BuildVersion { get; }

    public string ProductName => _hardware.ProductName;

    public string Model => _hardware.Model;

    public string ModelName => _hardware.ModelName;

    // iPhones only, spaced as iOS reports it.
    public string? Imei { get; }

    public bool IsSupervised { get; }

    // The APNs device token sent in TokenUpdate, as lower-case hex (the form APNs URLs take).
    public string PushToken
    {
        get
        {
            lock (_state)
            {
                return Convert.ToHexStringLower(_token);
            }
        }
    }

    public string PushMagic { get; }

    // iPhone / iPad only: the escrow keybag a ClearPasscode command must echo. Macs have none.
    public ReadOnlyMemory<byte>? UnlockToken
    {
        get
        {
            lock (_state)
            {
                // Spelled out: a bare null (or null array) would convert to an empty, non-null memory.
                return _unlockToken is { } token ? new ReadOnlyMemory<byte>(token) : default(ReadOnlyMemory<byte>?);
            }
        }
    }

    public bool PasscodeSet
    {
        get => _passcodeSet;
        set => _passcodeSet = value;
    }

    public bool IsLocked => _locked;

    // What the last DeviceLock put on the lock screen (iOS: Message, PhoneNumber; Mac: the PIN).
    public string? LockMessage { get; private set; }

    public string? LockPhoneNumber { get; private set; }

    public string? LockPin { get; private set; }

    public bool IsEnrolled { get; private set; }

    public IReadOnlyList<ReceivedCommand> ReceivedCommands
    {
        get
        {
            lock (_state)
            {
                return [.. _received];
            }
        }
    }

    // The last refused or failed request (kept until another one fails).
    public AppleHttpError? LastHttpError
    {
        get
        {
            lock (_state)
            {
                return _lastHttpError;
            }
        }
    }

    private bool IsIosFamily => Kind != AppleDeviceKind.Mac;

    // Authenticate, then TokenUpdate, as a device does right after installing the profile.
    // Throws AppleMdmRequestException when the server refuses either or cannot be reached.
    public async Task EnrollAsync(CancellationToken cancellationToken = default)
    {
        await CheckinAsync("Authenticate", CreateAuthenticateMessage(), cancellationToken);
        await CheckinAsync("TokenUpdate", CreateTokenUpdateMessage(), cancellationToken);
        IsEnrolled = true;
    }

    // A TokenUpdate with the current push token and unlock token (after RenewUnlockToken, say).
    public Task SendTokenUpdateAsync(CancellationToken cancellationToken = default) =>
        CheckinAsync("TokenUpdate", CreateTokenUpdateMessage(), cancellationToken);

    // The profile was removed: the device says so and stops talking to the server.
    public async Task CheckOutAsync(CancellationToken cancellationToken = default)
    {
        await CheckinAsync("CheckOut", CreateCheckOutMessage(), cancellationToken);
        IsEnrolled = false;
    }

    // iOS makes a new escrow keybag when the passcode changes; send it with SendTokenUpdateAsync.
    public void RenewUnlockToken()
    {
        if (!IsIosFamily)
        {
            throw new InvalidOperationException("Macs have no unlock token.");
        }

        lock (_state)
        {
            _unlockToken = AppleHardware.NewUnlockToken();
        }
    }

    // The user unlocks the device at the lock screen.
    public void Unlock() => _locked = false;

    // Answer the next `count` commands (of a request type the predicate accepts, or any) with NotNow;
    // the server should offer them again in a later session. Replaces an earlier rule.
    public void AnswerNotNow(int count = 1, Func<string, bool>? requestType = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_state)
        {
            _notNow = count == 0 ? null : (count, requestType);
        }
    }

    // Idle, then each command the server answers with, until it answers with an empty body or an error.
    // HTTP errors end the session (no retry) and are returned and kept in LastHttpError.
    public async Task<AppleSession> RunSessionAsync(CancellationToken cancellationToken = default)
    {
        EnsureEnrolled();
        await _session.WaitAsync(cancellationToken);
        try
        {
            return await SessionAsync(cancellationToken);
        }
        finally
        {
            _session.Release();
        }
    }

    // The APNs wake-up ({"mdm": PushMagic}). A wrong magic, or a push while another push's session is
    // already waiting to start, does nothing and returns null; otherwise a session runs after any
    // session in progress.
    public async Task<AppleSession?> OnPushAsync(string pushMagic, CancellationToken cancellationToken = default)
    {
        if (!IsEnrolled || !string.Equals(pushMagic, PushMagic, StringComparison.Ordinal))
        {
            return null;
        }

        if (Interlocked.Increment(ref _pushesWaiting) > 1)
        {
            Interlocked.Decrement(ref _pushesWaiting);
            return null;
        }

        try
        {
            await _session.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _pushesWaiting);
        }

        try
        {
            return await SessionAsync(cancellationToken);
        }
        finally
        {
            _session.Release();
        }
    }

    // Any body to any URL with the chosen signature, for tests of the server's refusals.
    // Changes nothing on the device, not even LastHttpError.
    public async Task<AppleRawResponse> SendRawAsync(
        Uri url, string contentType, ReadOnlyMemory<byte> body, SignatureMode signature = SignatureMode.Valid,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        using var response = await SendAsync(url, contentType, body, signature, cancellationToken);
        return new AppleRawResponse(response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    // The messages as this device sends them, for tests that send them raw.
    public byte[] CreateAuthenticateMessage()
    {
        var entries = new List<KeyValuePair<string, PlistValue>>
        {
            new("BuildVersion", new PlistString(BuildVersion)),
            new("DeviceName", new PlistString(DeviceName)),
            new("MessageType", new PlistString("Authenticate")),
            new("Model", new PlistString(Model)),
            new("ModelName", new PlistString(ModelName)),
            new("OSVersion", new PlistString(OSVersion)),
            new("ProductName", new PlistString(ProductName)),
            new("SerialNumber", new PlistString(SerialNumber)),
            new("Topic", new PlistString(Profile.Topic)),
            new("UDID", new PlistString(Udid)),
        };
        if (Imei is not null)
        {
            entries.Add(new("IMEI", new PlistString(Imei)));
        }

        return Write(entries);
    }

    public byte[] CreateTokenUpdateMessage()
    {
        lock (_state)
        {
            var entries = new List<KeyValuePair<string, PlistValue>>
            {
                new("AwaitingConfiguration", PlistBoolean.False),
                new("MessageType", new PlistString("TokenUpdate")),
                new("PushMagic", new PlistString(PushMagic)),
                new("Token", new PlistData(_token.ToArray())),
                new("Topic", new PlistString(Profile.Topic)),
                new("UDID", new PlistString(Udid)),
            };
            if (_unlockToken is not null)
            {
                entries.Add(new("UnlockToken", new PlistData(_unlockToken.ToArray())));
            }

            return Write(entries);
        }
    }

    public byte[] CreateCheckOutMessage() => Write(
    [
        new("MessageType", new PlistString("CheckOut")),
        new("Topic", new PlistString(Profile.Topic)),
        new("UDID", new PlistString(Udid)),
    ]);

    public byte[] CreateIdleReport() => Write(
    [
        new("Status", new PlistString("Idle")),
        new("UDID", new PlistString(Udid)),
    ]);

    // The request header that carries a message's signature, and its value for a body as this device signs it,
    // for load tools that sign their requests once and send them many times (bench/Latch.Bench).
    public const string SignatureHeaderName = MdmSignature.HeaderName;

    public string CreateSignature(ReadOnlySpan<byte> body) => MdmSignature.Create(body, Profile.Identity);

    public void Dispose()
    {
        Profile.Dispose();
        _impostor?.Dispose();
        _session.Dispose();
    }

    // Apple's own plists list keys in sorted order; so do ours.
    private static byte[] Write(IEnumerable<KeyValuePair<string, PlistValue>> entries) =>
        Plist.Write(new PlistDict(entries.OrderBy(e => e.Key, StringComparer.Ordinal)));

    private void EnsureEnrolled()
    {
        if (!IsEnrolled)
        {
            throw new InvalidOperationException($"{DeviceName} is not enrolled: call EnrollAsync first.");
        }
    }

    private async Task CheckinAsync(string messageType, byte[] body, CancellationToken cancellationToken)
    {
        var (_, error) = await PutAsync(messageType, Profile.CheckInUrl, CheckinMessage.ContentType, body, cancellationToken);
        if (error is not null)
        {
            throw new AppleMdmRequestException(error);
        }
    }

    private async Task<AppleSession> SessionAsync(CancellationToken cancellationToken)
    {
        var handled = new List<ReceivedCommand>();
        var request = "Idle";
        var body = CreateIdleReport();
        while (true)
        {
            var (answer, error) = await PutAsync(request, Profile.ServerUrl, CommandResponse.ContentType, body, cancellationToken);
            if (error is not null || answer.Length == 0)
            {
                return new AppleSession(handled, error);
            }

            if (handled.Count >= _options.MaxCommandsPerSession)
            {
                return new AppleSession(handled, Fail(new AppleHttpError(request, Profile.ServerUrl, null,
                    $"The server sent more than {_options.MaxCommandsPerSession} commands in one session; the simulator ended it.")));
            }

            var (received, report, problem) = await HandleAsync(answer, cancellationToken);
            if (received is null)
            {
                return new AppleSession(handled, Fail(new AppleHttpError(request, Profile.ServerUrl, null, problem!)));
            }

            handled.Add(received);
            request = $"{received.Answer} report on {received.RequestType} {received.CommandUUID}";
            body = report!;
        }
    }

    // Sends one signed PUT; a non-2xx answer or a failure to reach the server becomes an AppleHttpError.
    private async Task<(byte[] Body, AppleHttpError? Error)> PutAsync(
        string request, Uri url, string contentType, byte[] body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(
                url, contentType, body, Profile.SignMessage ? SignatureMode.Valid : SignatureMode.None, cancellationToken);
            var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (answer, null);
            }

            var said = answer.Length is > 0 and <= 500 ? Encoding.UTF8.GetString(answer).Trim() : "";
            return ([], Fail(new AppleHttpError(request, url, response.StatusCode, said)));
        }
        catch (HttpRequestException ex)
        {
            var why = ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message;
            return ([], Fail(new AppleHttpError(request, url, null, $"The server cannot be reached: {why}")));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], Fail(new AppleHttpError(request, url, null, "The server did not answer in time.")));
        }
    }

    private async Task<HttpResponseMessage> SendAsync(
        Uri url, string contentType, ReadOnlyMemory<byte> body, SignatureMode signature, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(body.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        var header = signature switch
        {
            SignatureMode.Valid => MdmSignature.Create(body.Span, Profile.Identity),
            SignatureMode.None => null,
            SignatureMode.Forged => MdmSignature.Create([.. body.Span, (byte)'\n'], Profile.Identity),
            SignatureMode.OtherIdentity => MdmSignature.Create(body.Span, Impostor()),
            _ => throw new ArgumentOutOfRangeException(nameof(signature), signature, null),
        };
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(MdmSignature.HeaderName, header);
        }

        return await _http.SendAsync(request, cancellationToken);
    }

    private X509Certificate2 Impostor()
    {
        lock (_state)
        {
            return _impostor ??= MdmSignature.CreateImpostor(Udid);
        }
    }

    private AppleHttpError Fail(AppleHttpError error)
    {
        lock (_state)
        {
            _lastHttpError = error;
        }

        return error;
    }
}
