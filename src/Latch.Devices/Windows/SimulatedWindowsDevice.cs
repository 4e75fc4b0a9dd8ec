using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Latch.Protocols.Windows;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Devices.Windows;

/// <summary>A command the device received in a session, and what it answered.</summary>
public sealed record WindowsReceivedCommand(string CmdId, string Name, string? Target, string Status, string? Answer);

/// <summary>How a session went: the commands received in order, and the error that ended it early, if one did.</summary>
public sealed record WindowsSessionResult(IReadOnlyList<WindowsReceivedCommand> Commands, int Packages, string? Error)
{
    public bool Completed => Error is null;
}

/// <summary>An enrolment or management request the server refused (a SOAP fault, an HTTP error).</summary>
public sealed class WindowsMdmException(string message, HttpStatusCode? status = null, EnrollmentFault? fault = null) : Exception(message)
{
    public HttpStatusCode? StatusCode { get; } = status;
    public EnrollmentFault? Fault { get; } = fault;
}

/// <summary>
/// A simulated Windows device (SPEC's five Windows rows) speaking the real protocols: it enrols through MS-MDE2
/// (Discovery, GetPolicies, RequestSecurityToken with its own key's PKCS#10; OnPremise with the user's address and
/// enrolment code, or Federated through the server's sign-in page), keeps the certificate it is issued, and runs
/// OMA-DM sessions (MS-MDM, SyncML 1.2) over TLS with it as its client certificate. It answers the RemoteLock CSP as
/// documented: Lock 200, or 405 without a PIN; LockAndResetPIN makes a new PIN that NewPINValue returns once.
/// It is simulated and says so (its Manufacturer/Model are the kind's, its DeviceName starts "Simulated").
/// </summary>
public sealed class SimulatedWindowsDevice : IDisposable
{
    public const string BrokerReturnAddress = "ms-app://s-1-15-2-latch-simulated-device";

    private readonly Uri _server;
    private readonly string _userPrincipalName;
    private readonly string _enrollmentCode;
    private readonly SimulatedWindowsDeviceOptions _options;
    private readonly WindowsHardware _hardware;
    private readonly SemaphoreSlim _session = new(1, 1);
    private readonly Lock _state = new();
    private AsymmetricAlgorithm? _key;
    private HttpClient? _management;
    private X509Certificate2? _root;
    private int _sessionCounter;
    private int _retryLater;
    private int _sessionsAfterPush;
    private string? _newPin;
    private volatile bool _pinSet;

    /// <param name="server">The server's Windows address (its device port), e.g. https://localhost:5443/.</param>
    public SimulatedWindowsDevice(Uri server, string userPrincipalName, string enrollmentCode, SimulatedWindowsDeviceOptions? options = null)
    {
        _server = server;
        _userPrincipalName = userPrincipalName;
        _enrollmentCode = enrollmentCode;
        _options = options ?? new SimulatedWindowsDeviceOptions();
        var hardware = WindowsHardware.For(_options.Kind);
        _hardware = hardware with { Manufacturer = _options.Manufacturer ?? hardware.Manufacturer, Model = _options.Model ?? hardware.Model };
        DeviceId = _options.DeviceId ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        HardwareId = _options.HardwareId ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        OsVersion = _options.OsVersion ?? _hardware.OsVersion;
        DeviceName = _options.DeviceName ?? $"Simulated {_options.Kind} {DeviceId[^4..]}";
        SignedIn = _options.SignedIn;
        _pinSet = _options.PinSet;
        Pin = _pinSet ? "1234" : null;
    }

    public WindowsDeviceKind Kind => _options.Kind;
    public string DeviceId { get; }
    public string HardwareId { get; }
    public string DeviceName { get; }
    public string OsVersion { get; }

    /// <summary>The certificate the server issued, with this device's private key; null before enrolment.</summary>
    public X509Certificate2? Certificate { get; private set; }

    public Uri? ManagementUrl { get; private set; }
    public string? AuthPolicy { get; private set; }
    public string? ProviderId { get; private set; }

    /// <summary>Who is signed in now (Alert 1224 LoginStatus): "user", "others" or "none". Tests change it.</summary>
    public string SignedIn { get; set; }

    /// <summary>The WNS channel URI the device reports when the server asks for DMClient Push/ChannelURI.</summary>
    public string? PushChannelUri { get; set; }

    /// <summary>The PIN on the device now: the user's, or the one LockAndResetPIN made.</summary>
    public string? Pin { get; private set; }

    public bool Locked { get; private set; }
    public int Locks { get; private set; }

    /// <summary>Sessions this device started because a push woke it (package 1 with Alert 1200).</summary>
    public int SessionsAfterPush => Volatile.Read(ref _sessionsAfterPush);
    public bool Unenrolled { get; private set; }

    /// <summary>The next <paramref name="count"/> commands are answered 417 Retry later (OMA-DM): the device puts them off.</summary>
    public void RetryLater(int count = 1) => Interlocked.Exchange(ref _retryLater, count);

    // ---- MS-MDE2 enrolment ------------------------------------------------------------------------------------

    /// <summary>Discovery → GetPolicies → RequestSecurityToken; keeps the issued certificate and the management address.</summary>
    public async Task EnrollAsync(CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient(Handler(clientCertificate: null, trustedRoot: _options.EnrollmentServerRoot), disposeHandler: true)
            { Timeout = TimeSpan.FromSeconds(60) };
        var discovery = new Uri(_server, "EnrollmentServer/Discovery.svc");
        // MS-MDE2 §3.1.5.1: a GET first, to see the service is there.
        using (var probe = await http.GetAsync(discovery, cancellationToken))
            if (!probe.IsSuccessStatusCode) throw new WindowsMdmException($"Discovery GET answered {(int)probe.StatusCode}.", probe.StatusCode);

        var discover = DiscoverResponse.Decode(await SoapAsync(http, discovery, new DiscoverRequest
        {
            MessageId = NewMessageId(), To = discovery.ToString(), EmailAddress = _userPrincipalName, RequestVersion = _hardware.RequestVersion,
            DeviceType = _hardware.DeviceType, ApplicationVersion = _hardware.OsVersion, OSEdition = _hardware.OsEdition,
            AuthPolicies = [EnrollmentAuthPolicies.OnPremise, EnrollmentAuthPolicies.Federated],
        }.Encode(), cancellationToken));
        AuthPolicy = discover.AuthPolicy;
        var credentials = discover.AuthPolicy switch
        {
            EnrollmentAuthPolicies.OnPremise => new EnrollmentCredentials { Username = _userPrincipalName, Password = _enrollmentCode },
            EnrollmentAuthPolicies.Federated => new EnrollmentCredentials { FederatedToken = await SignInAsync(http, discover, cancellationToken) },
            _ => throw new WindowsMdmException($"The server asks for the {discover.AuthPolicy} auth policy, which this device does not do."),
        };

        var policyUrl = new Uri(discover.EnrollmentPolicyServiceUrl);
        var policies = GetPoliciesResponse.Decode(await SoapAsync(http, policyUrl,
            new GetPoliciesRequest { MessageId = NewMessageId(), To = policyUrl.ToString(), Credentials = credentials }.Encode(), cancellationToken));

        _key = _options.EcdsaKey ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(Math.Max(2048, policies.MinimalKeyLength));
        var enrollmentUrl = new Uri(discover.EnrollmentServiceUrl);
        var response = RequestSecurityTokenResponse.Decode(await SoapAsync(http, enrollmentUrl, new RequestSecurityTokenRequest
        {
            MessageId = NewMessageId(), To = enrollmentUrl.ToString(), Credentials = credentials, CertificateRequest = CertificateRequestFor(_key),
            ContextItems = ContextItems(),
        }.Encode(), cancellationToken));
        Install(response);
    }

    /// <summary>Certificate renewal (MS-MDE2 §3.4, ROBO): a new key's PKCS#10 in a PKCS#7 signed with the current certificate.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken = default)
    {
        var current = Certificate ?? throw new InvalidOperationException("The device is not enrolled.");
        var key = _options.EcdsaKey ? (AsymmetricAlgorithm)ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var signed = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo(CertificateRequestFor(key)));
        signed.ComputeSignature(new System.Security.Cryptography.Pkcs.CmsSigner(current));
        using var http = new HttpClient(Handler(current, _root), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
        var enrollmentUrl = new Uri(_server, "EnrollmentServer/Enrollment.svc");
        var response = RequestSecurityTokenResponse.Decode(await SoapAsync(http, enrollmentUrl, new RequestSecurityTokenRequest
        {
            MessageId = NewMessageId(), To = enrollmentUrl.ToString(), RequestType = EnrollmentSoap.RenewRequestType,
            BinarySecurityTokenValueType = EnrollmentSoap.Pkcs7ValueType, CertificateRequest = signed.Encode(), ContextItems = ContextItems(),
        }.Encode(), cancellationToken));
        _key?.Dispose();
        _key = key;
        Install(response);
    }

    private List<EnrollmentContextItem> ContextItems() =>
    [
        new("UXInitiated", "true"), new("HWDevID", HardwareId), new("Locale", "en-US"), new("TargetedUserLoggedIn", "true"),
        .. _hardware.OsEdition is { } edition ? [new EnrollmentContextItem("OSEdition", edition)] : Array.Empty<EnrollmentContextItem>(),
        new("DeviceName", DeviceName), new("DeviceID", DeviceId), new("EnrollmentType", _options.AzureAdJoined ? "Device" : "Full"),
        new("DeviceType", _hardware.DeviceType), new("OSVersion", OsVersion), new("ApplicationVersion", OsVersion),
    ];

    private byte[] CertificateRequestFor(AsymmetricAlgorithm key)
    {
        var subject = new X500DistinguishedName($"CN={DeviceId}");
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequest();
    }

    // The provisioning document: trust its root, keep the issued certificate with this device's key, manage at its ADDR.
    private void Install(RequestSecurityTokenResponse response)
    {
        var provisioned = WindowsProvisioning.Read(response.ReadProvisioningDocument());
        if (provisioned.DeviceCertificate is null || provisioned.RootCertificate is null)
            throw new WindowsMdmException("The provisioning document holds no device certificate or no root.");
        using var issued = X509CertificateLoader.LoadCertificate(provisioned.DeviceCertificate);
        var certificate = _key switch
        {
            RSA rsa => issued.CopyWithPrivateKey(rsa),
            ECDsa ec => issued.CopyWithPrivateKey(ec),
            _ => throw new InvalidOperationException("No key."),
        };
        // Export and reload: on Linux an ephemeral key cannot be used for a TLS client certificate.
        var withKey = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        certificate.Dispose();
        lock (_state)
        {
            Certificate?.Dispose();
            Certificate = withKey;
            _root?.Dispose();
            _root = X509CertificateLoader.LoadCertificate(provisioned.RootCertificate);
            ManagementUrl = new Uri(provisioned.ManagementUrl);
            ProviderId = provisioned.ProviderId;
            _management?.Dispose();
            _management = new HttpClient(Handler(withKey, _root), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
        }
    }

    // Federated (MS-MDE2 §3.2): the sign-in page in the web authentication broker, then the token it posts to appru.
    private async Task<string> SignInAsync(HttpClient http, DiscoverResponse discover, CancellationToken cancellationToken)
    {
        var page = new Uri($"{discover.AuthenticationServiceUrl}?appru={Uri.EscapeDataString(BrokerReturnAddress)}&login_hint={Uri.EscapeDataString(_userPrincipalName)}");
        using (var form = await http.GetAsync(page, cancellationToken))
            if (!form.IsSuccessStatusCode) throw new WindowsMdmException($"The sign-in page answered {(int)form.StatusCode}.", form.StatusCode);
        using var signedIn = await http.PostAsync(page, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["appru"] = BrokerReturnAddress, ["upn"] = _userPrincipalName, ["code"] = _enrollmentCode,
        }), cancellationToken);
        var html = await signedIn.Content.ReadAsStringAsync(cancellationToken);
        if (!signedIn.IsSuccessStatusCode) throw new WindowsMdmException($"The sign-in page refused the code ({(int)signedIn.StatusCode}).", signedIn.StatusCode);
        var match = Regex.Match(html, "name=\"wresult\" value=\"([^\"]*)\"");
        if (!match.Success) throw new WindowsMdmException("The sign-in page returned no wresult token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    private static async Task<byte[]> SoapAsync(HttpClient http, Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(EnrollmentSoap.ContentType) { CharSet = "utf-8" };
        using var response = await http.PostAsync(url, content, cancellationToken);
        var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (EnrollmentFault.TryDecode(answer, out var fault))
            throw new WindowsMdmException($"The server refused the enrolment ({fault!.Subcode}): {fault.Reason}", response.StatusCode, fault);
        if (!response.IsSuccessStatusCode)
            throw new WindowsMdmException($"{url.AbsolutePath} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(answer)}", response.StatusCode);
        return answer;
    }

    private static string NewMessageId() => $"urn:uuid:{Guid.NewGuid()}";

    // ---- OMA-DM sessions ---------------------------------------------------------------------------------------

    /// <summary>
    /// One management session: package 1 (Alert 1201, or 1200 after a push; LoginStatus; DevInfo), then a package per
    /// server answer that carried commands, until the server sends none.
    /// </summary>
    public async Task<WindowsSessionResult> RunSessionAsync(bool afterPush = false, CancellationToken cancellationToken = default)
    {
        await _session.WaitAsync(cancellationToken);
        try
        {
            if (afterPush) Interlocked.Increment(ref _sessionsAfterPush);
            return await SessionAsync(afterPush ? SyncAlertCodes.ServerInitiatedMgmt : SyncAlertCodes.ClientInitiatedMgmt, extra: [], cancellationToken);
        }
        finally
        {
            _session.Release();
        }
    }

    /// <summary>The user removes the work account: a session whose package 1 carries Generic Alert 1226 (MS-MDM §2.2.7.2).</summary>
    public async Task UnenrollAsync(CancellationToken cancellationToken = default)
    {
        await _session.WaitAsync(cancellationToken);
        try
        {
            var result = await SessionAsync(SyncAlertCodes.ClientInitiatedMgmt,
            [
                new SyncAlert
                {
                    CmdId = "5", Data = SyncAlertCodes.GenericAlert,
                    Items = [new SyncItem { Meta = new SyncMeta { Type = SyncAlertCodes.UnenrollmentUserRequestType, Format = "int" }, Data = "1" }],
                },
            ], cancellationToken);
            if (!result.Completed) throw new WindowsMdmException(result.Error!);
            Unenrolled = true;
        }
        finally
        {
            _session.Release();
        }
    }

    /// <summary>Closes the device's open connections (the next session opens a new one): a load client with thousands of devices keeps file descriptors for its own.</summary>
    public void DropConnections()
    {
        lock (_state)
        {
            if (_management is null || Certificate is null) return;
            _management.Dispose();
            _management = new HttpClient(Handler(Certificate, _root), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
        }
    }

    /// <summary>Sends a message as it is (a test's crafted SyncML) over this device's TLS session.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(byte[] body, string contentType = SyncMessage.ContentType, CancellationToken cancellationToken = default)
    {
        var http = _management ?? throw new InvalidOperationException("The device is not enrolled.");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await http.PostAsync(ManagementUrl, content, cancellationToken);
    }

    /// <summary>The next session's id and this device's header, for a test that builds its own messages.</summary>
    public SyncHeader HeaderFor(string sessionId, int msgId) => new()
    {
        SessionId = sessionId, MsgId = msgId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        TargetLocUri = ManagementUrl?.ToString() ?? "", SourceLocUri = DeviceId,
    };

    public string NextSessionId() => Interlocked.Increment(ref _sessionCounter).ToString("X", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The package 1 this device sends to start a session of its own (Alert 1201, LoginStatus, DevInfo), for a load tool
    /// that encodes it once and sends it again with another SessionID.
    /// </summary>
    public SyncMessage CreatePackage1(string sessionId) =>
        new() { Header = HeaderFor(sessionId, 1), Commands = Package1(SyncAlertCodes.ClientInitiatedMgmt, []), Final = true };

    private List<SyncCommand> Package1(string alert, IReadOnlyList<SyncCommand> extra) =>
        [
            new SyncAlert { CmdId = "1", Data = alert },
            new SyncAlert
            {
                CmdId = "2", Data = SyncAlertCodes.ClientEvent,
                Items = [new SyncItem { Meta = new SyncMeta { Type = SyncAlertCodes.LoginStatusType }, Data = SignedIn }],
            },
            new SyncReplace
            {
                CmdId = "3",
                Items =
                [
                    Source("./DevInfo/DevId", DeviceId), Source("./DevInfo/Man", _hardware.Manufacturer), Source("./DevInfo/Mod", _hardware.Model),
                    Source("./DevInfo/DmV", "1.3"), Source("./DevInfo/Lang", "en-US"),
                ],
            },
            .. extra,
        ];

    private async Task<WindowsSessionResult> SessionAsync(string alert, IReadOnlyList<SyncCommand> extra, CancellationToken cancellationToken)
    {
        var sessionId = NextSessionId();
        var received = new List<WindowsReceivedCommand>();
        var body = Package1(alert, extra);
        for (var msgId = 1; msgId <= _options.MaxPackagesPerSession; msgId++)
        {
            var message = new SyncMessage { Header = HeaderFor(sessionId, msgId), Commands = body, Final = true };
            SyncMessage answer;
            try
            {
                using var response = await SendRawAsync(message.Encode(), cancellationToken: cancellationToken);
                var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                    return new WindowsSessionResult(received, msgId, $"The server answered package {msgId} with {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
                answer = SyncMessage.Decode(bytes);
            }
            catch (Exception exception) when (exception is HttpRequestException or SyncMlFormatException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new WindowsSessionResult(received, msgId, $"Package {msgId}: {exception.Message}");
            }
            if (answer.Commands is not [SyncStatus { CmdRef: "0", Cmd: "SyncHdr" }, ..])
                return new WindowsSessionResult(received, msgId, "The server's answer does not start with the Status of the SyncHdr (MS-MDM §2.2.6.1).");
            if (answer.Header.SessionId != sessionId)
                return new WindowsSessionResult(received, msgId, $"The server answered session {answer.Header.SessionId}, not {sessionId}.");

            var commands = answer.Commands.Where(c => c is not SyncStatus).ToList();
            if (commands.Count == 0) return new WindowsSessionResult(received, msgId, null); // nothing asked: the session ends
            body = Answer(answer, commands, received);
        }
        return new WindowsSessionResult(received, _options.MaxPackagesPerSession, "The server kept sending commands; the device ended the session.");
    }

    private static SyncItem Source(string uri, string data) => new() { Source = uri, Data = data };

    // The device's next package: the Status of the server's SyncHdr, then a Status (and Results) per command, in order.
    private List<SyncCommand> Answer(SyncMessage server, List<SyncCommand> commands, List<WindowsReceivedCommand> received)
    {
        var cmdId = 1;
        var reply = new List<SyncCommand> { Status("SyncHdr", "0", "200") };
        foreach (var command in commands) Run(command);
        return reply;

        SyncStatus Status(string cmd, string cmdRef, string code) => new()
        {
            CmdId = (cmdId++).ToString(System.Globalization.CultureInfo.InvariantCulture), MsgRef = server.Header.MsgId, CmdRef = cmdRef, Cmd = cmd, Data = code,
        };

        void Run(SyncCommand command)
        {
            var target = command is SyncItemCommand { Items: [var first, ..] } ? first.Target : null;
            if (command is SyncSequence or SyncAtomic)
            {
                reply.Add(Status(command.Name, command.CmdId, "200"));
                received.Add(new WindowsReceivedCommand(command.CmdId, command.Name, null, "200", null));
                foreach (var inner in command is SyncSequence sequence ? sequence.Commands : ((SyncAtomic)command).Commands) Run(inner);
                return;
            }
            if (Interlocked.Decrement(ref _retryLater) >= 0)
            {
                reply.Add(Status(command.Name, command.CmdId, "417"));
                received.Add(new WindowsReceivedCommand(command.CmdId, command.Name, target, "417", "retry later"));
                return;
            }
            Interlocked.Exchange(ref _retryLater, 0);
            var (code, results, answer) = Execute(command);
            reply.Add(Status(command.Name, command.CmdId, code));
            if (results is not null)
                reply.Add(new SyncResults
                {
                    CmdId = (cmdId++).ToString(System.Globalization.CultureInfo.InvariantCulture), MsgRef = server.Header.MsgId, CmdRef = command.CmdId,
                    Cmd = command.Name, Items = results,
                });
            received.Add(new WindowsReceivedCommand(command.CmdId, command.Name, target, code, answer));
        }
    }

    // The CSPs the simulator has: RemoteLock, DevDetail, DevInfo and DMClient's push channel.
    private (string Code, List<SyncItem>? Results, string? Answer) Execute(SyncCommand command)
    {
        var uri = command is SyncItemCommand { Items: [var first, ..] } ? Normalize(first.Target) : null;
        switch (command, uri)
        {
            case (SyncExec, "./Vendor/MSFT/RemoteLock/Lock"):
                if (Kind == WindowsDeviceKind.Windows10Desktop) return ("405", null, "RemoteLock is not available on desktop");
                if (!_pinSet) return ("405", null, "no PIN set: lock ignored");
                Locked = true;
                Locks++;
                return ("200", null, "locked");
            case (SyncExec, "./Vendor/MSFT/RemoteLock/LockAndResetPIN"):
                if (Kind is not (WindowsDeviceKind.Windows10Mobile or WindowsDeviceKind.WindowsPhone81)) return ("405", null, "not supported on this edition");
                _newPin = RandomNumberGenerator.GetInt32(10_000_000, 100_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Pin = _newPin;
                _pinSet = true;
                Locked = true;
                Locks++;
                return ("200", null, "locked with a new PIN");
            case (SyncGet, "./Vendor/MSFT/RemoteLock/NewPINValue"):
                // Readable once: the next Get has nothing.
                var pin = Interlocked.Exchange(ref _newPin, null);
                return ("200", [new SyncItem { Source = uri, Meta = new SyncMeta { Format = "chr" }, Data = pin ?? "" }], pin is null ? "no new PIN" : "new PIN returned");
            case (SyncGet get, _) when uri?.StartsWith("./DevDetail/", StringComparison.Ordinal) == true || uri?.StartsWith("./DevInfo/", StringComparison.Ordinal) == true:
                var items = get.Items.Select(i => (Uri: Normalize(i.Target)!, Value: NodeValue(Normalize(i.Target)))).Where(n => n.Value is not null)
                    .Select(n => new SyncItem { Source = n.Uri, Meta = new SyncMeta { Format = "chr" }, Data = n.Value }).ToList();
                return items.Count == 0 ? ("404", null, "no such node") : ("200", items, $"{items.Count} value(s)");
            case (SyncGet, _) when uri is not null && uri.EndsWith("/Push/ChannelURI", StringComparison.Ordinal) && uri.StartsWith("./Vendor/MSFT/DMClient/Provider/", StringComparison.Ordinal):
                return PushChannelUri is { } channel
                    ? ("200", [new SyncItem { Source = uri, Meta = new SyncMeta { Format = "chr" }, Data = channel }], "channel URI")
                    : ("404", null, "no push channel");
            default:
                return ("405", null, $"{command.Name} {uri} is not supported by this simulator");
        }
    }

    private string? NodeValue(string? uri) => uri switch
    {
        "./DevDetail/SwV" => OsVersion,
        "./DevDetail/Ext/Microsoft/OSPlatform" => _hardware.OsPlatform,
        "./DevDetail/Ext/Microsoft/DeviceName" => DeviceName,
        "./DevDetail/OEM" or "./DevInfo/Man" => _hardware.Manufacturer,
        "./DevInfo/Mod" => _hardware.Model,
        "./DevInfo/DevId" => DeviceId,
        _ => null,
    };

    // ./Device/Vendor/MSFT/... is the same node as ./Vendor/MSFT/... (MS "OMA DM protocol support": no prefix means device).
    private static string? Normalize(string? uri) => uri?.StartsWith("./Device/Vendor/", StringComparison.Ordinal) == true ? "./" + uri["./Device/".Length..] : uri;

    // ---- TLS ----------------------------------------------------------------------------------------------------

    private static SocketsHttpHandler Handler(X509Certificate2? clientCertificate, X509Certificate2? trustedRoot) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (trustedRoot is null) return true;
                if (certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(trustedRoot);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return chain.Build(leaf) && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
            },
        },
    };

    public void Dispose()
    {
        _management?.Dispose();
        Certificate?.Dispose();
        _root?.Dispose();
        _key?.Dispose();
        _session.Dispose();
    }
}
