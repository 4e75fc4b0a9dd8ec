using System.Formats.Asn1;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Devices;
using Latch.Server.Windows.Enrollment;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary>A code the API issued: its id and the text the user types.</summary>
public sealed record IssuedCode(Guid Id, string Code, string UserPrincipalName);

/// <summary>What a refused request must leave as it was.</summary>
public sealed record EnrolmentCounts(int WindowsEnrollments, int Devices, int Commands, int UsedCodes, int Refusals);

/// <summary>
/// The real server in memory with the demo fleet's users (one per test class, as an xUnit class fixture), and what a
/// Windows device does to enrol: SOAP built with the Protocols codec, a real PKCS#10 of its own RSA key.
/// </summary>
public class WindowsEnrolmentServer : IAsyncLifetime
{
    public const string Ada = "ada.lovelace@demo.latch.example";
    public const string Grace = "grace.hopper@demo.latch.example";
    public const string SoapContentType = "application/soap+xml; charset=utf-8";

    private LatchAppFactory? _app;

    public LatchAppFactory App => _app ?? throw new InvalidOperationException("The fixture is not started.");

    public HttpClient Admin => App.ClientWith(LatchAppFactory.AdminToken);

    /// <summary>The address the in-memory server answers on, with a trailing slash.</summary>
    public string BaseUrl => App.Server.BaseAddress.ToString();

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public ValueTask InitializeAsync()
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken,
            ["Demo"] = "true",
            ["SimulatedDevices"] = "false",
        };
        foreach (var (key, value) in Settings) all[key] = value;
        _app = new LatchAppFactory(all);
        // Enrolment is served over HTTPS only: the in-memory server is asked as https://, as the device port would be.
        _app.ClientOptions.BaseAddress = new Uri("https://localhost/");
        _app.CreateClient();
        _app.Server.BaseAddress = new Uri("https://localhost/");
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    public async Task<string> TokenAsync(string name, AdminRole role)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<ApiTokens>().IssueAsync(name, role)).Secret;
    }

    public DeviceCertificateAuthority Authority => App.Services.GetRequiredService<DeviceCertificateAuthority>();

    /// <summary>An enrolment code for the user, issued by the bootstrap Administrator through the API.</summary>
    public async Task<IssuedCode> IssueCodeAsync(string user = Ada)
    {
        var response = await Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new IssuedCode(Guid.Parse(json.RootElement.GetProperty("id").GetString()!), json.RootElement.GetProperty("code").GetString()!,
            json.RootElement.GetProperty("userPrincipalName").GetString()!);
    }

    public async Task<HttpResponseMessage> PostSoapAsync(string path, byte[] body, string contentType = SoapContentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await App.CreateClient().PostAsync(path, content);
    }

    public Task<EnrolmentCounts> CountsAsync() => DbAsync(async db => new EnrolmentCounts(
        await db.WindowsEnrollments.CountAsync(),
        await db.Devices.CountAsync(),
        await db.Commands.CountAsync(),
        await db.EnrollmentCodes.CountAsync(c => c.UsedAt != null),
        await db.AuditEvents.CountAsync(e => e.Kind == AuditKinds.DeviceRequestRefused)));

    /// <summary>Asserts the answer is an MS-MDE2 fault with the subcode, one more refusal is audited and nothing else was written.</summary>
    public async Task<EnrollmentFault> AssertRefusedAsync(HttpResponseMessage response, string subcode, EnrolmentCounts before)
    {
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/soap+xml", response.Content.Headers.ContentType?.MediaType);
        var fault = EnrollmentFault.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(subcode, fault.Subcode);
        Assert.False(string.IsNullOrWhiteSpace(fault.Reason));
        var after = await CountsAsync();
        Assert.Equal(before with { Refusals = before.Refusals + 1 }, after);
        return fault;
    }

    public async Task<GetPoliciesResponse> GetPoliciesAsync(EnrollmentCredentials credentials)
    {
        var response = await PostSoapAsync(WindowsEnrollmentApi.PolicyPath, DeviceMessages.GetPolicies(BaseUrl, credentials));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return GetPoliciesResponse.Decode(await response.Content.ReadAsByteArrayAsync());
    }

    public Task<HttpResponseMessage> RequestSecurityTokenAsync(EnrollmentCredentials credentials, byte[] pkcs10, IReadOnlyList<EnrollmentContextItem> context) =>
        PostSoapAsync(WindowsEnrollmentApi.EnrollmentPath, DeviceMessages.RequestSecurityToken(BaseUrl, credentials, pkcs10, context));

    /// <summary>A successful enrolment: the answer decoded, the issued certificate and what it was issued for.</summary>
    public async Task<Enrolled> EnrolAsync(IssuedCode code, RSA key, IReadOnlyList<EnrollmentContextItem> context)
    {
        var response = await RequestSecurityTokenAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(key), context);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        var rstr = RequestSecurityTokenResponse.Decode(body);
        var info = WindowsProvisioning.Read(rstr.ReadProvisioningDocument());
        return new Enrolled(rstr, info, X509CertificateLoader.LoadCertificate(info.DeviceCertificate!));
    }
}

public sealed record Enrolled(RequestSecurityTokenResponse Response, WindowsProvisioningInfo Provisioning, X509Certificate2 Certificate);

/// <summary>The fixture with <c>Windows:AuthPolicy=Federated</c>.</summary>
public sealed class FederatedWindowsEnrolmentServer : WindowsEnrolmentServer
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Windows:AuthPolicy"] = "Federated" };
}

/// <summary>The fixture with the smallest message limit the options allow.</summary>
public sealed class SmallMessagesWindowsEnrolmentServer : WindowsEnrolmentServer
{
    public const int MaxMessageBytes = 4096;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Windows:MaxMessageBytes"] = MaxMessageBytes.ToString() };
}

/// <summary>What a Windows device sends while enrolling, built with the codec.</summary>
public static class DeviceMessages
{
    public static string NewMessageId() => $"urn:uuid:{Guid.NewGuid()}";

    public static EnrollmentCredentials OnPremise(IssuedCode code) => new() { Username = code.UserPrincipalName, Password = code.Code };

    public static byte[] Discover(string baseUrl, string requestVersion = "4.0", IReadOnlyList<string>? authPolicies = null) => new DiscoverRequest
    {
        MessageId = NewMessageId(), To = baseUrl + "EnrollmentServer/Discovery.svc", EmailAddress = WindowsEnrolmentServer.Ada,
        RequestVersion = requestVersion, DeviceType = "CIMClient_Windows", ApplicationVersion = "10.0.19045.2006", OSEdition = "48",
        AuthPolicies = authPolicies ?? [EnrollmentAuthPolicies.OnPremise, EnrollmentAuthPolicies.Federated],
    }.Encode();

    public static byte[] GetPolicies(string baseUrl, EnrollmentCredentials credentials) => new GetPoliciesRequest
    {
        MessageId = NewMessageId(), To = baseUrl + "EnrollmentServer/Policy.svc", Credentials = credentials,
    }.Encode();

    public static byte[] RequestSecurityToken(string baseUrl, EnrollmentCredentials credentials, byte[] certificateRequest,
        IReadOnlyList<EnrollmentContextItem> context, bool renewal = false) => new RequestSecurityTokenRequest
    {
        MessageId = NewMessageId(), To = baseUrl + "EnrollmentServer/Enrollment.svc", Credentials = credentials,
        RequestType = renewal ? EnrollmentSoap.RenewRequestType : EnrollmentSoap.IssueRequestType,
        BinarySecurityTokenValueType = renewal ? EnrollmentSoap.Pkcs7ValueType : EnrollmentSoap.Pkcs10ValueType,
        CertificateRequest = certificateRequest, ContextItems = context,
    }.Encode();

    /// <summary>The AdditionalContext of a Windows 10 Mobile phone joining Azure AD (the SPEC's 15063 row), with a fresh identity.</summary>
    public static List<EnrollmentContextItem> Context(string? deviceId = null, string? hardwareId = null, string osVersion = "10.0.15063.0",
        string osEdition = "104", string deviceType = "WindowsPhone", string enrollmentType = "Device", string deviceName = "Lumia 950")
    {
        var items = new List<EnrollmentContextItem>
        {
            new("UXInitiated", "true"),
            new("HWDevID", hardwareId ?? RandomNumberGenerator.GetHexString(64)),
            new("Locale", "en-US"),
            new("OSEdition", osEdition),
            new("DeviceName", deviceName),
            new("MAC", "00-15-5D-00-00-01"),
            new("DeviceID", deviceId ?? RandomNumberGenerator.GetHexString(32)),
            new("EnrollmentType", enrollmentType),
            new("DeviceType", deviceType),
            new("OSVersion", osVersion),
            new("ApplicationVersion", osVersion),
        };
        return items;
    }

    public static string ValueOf(IEnumerable<EnrollmentContextItem> context, string name) => context.First(i => i.Name == name).Value;

    public static byte[] Pkcs10(RSA key) =>
        new CertificateRequest("CN=B5B954E81FBCB94EB79BD08BE625F4EE", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();

    /// <summary>A PKCS#10 signed by <paramref name="signer"/> but naming <paramref name="named"/>'s public key.</summary>
    public static byte[] Pkcs10WithSwappedKey(RSA signer, RSA named)
    {
        // CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE { version, subject, subjectPKInfo, [0] attributes },
        //   signatureAlgorithm, signature BIT STRING } (RFC 2986 §4)
        var outer = new AsnReader(Pkcs10(signer), AsnEncodingRules.DER).ReadSequence();
        var info = outer.ReadSequence();
        var version = info.ReadEncodedValue();
        var subject = info.ReadEncodedValue();
        info.ReadEncodedValue(); // the signer's SubjectPublicKeyInfo, dropped
        var attributes = info.ReadEncodedValue();
        var algorithm = outer.ReadEncodedValue();
        var signature = outer.ReadEncodedValue();

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteEncodedValue(version.Span);
                writer.WriteEncodedValue(subject.Span);
                writer.WriteEncodedValue(named.ExportSubjectPublicKeyInfo());
                writer.WriteEncodedValue(attributes.Span);
            }
            writer.WriteEncodedValue(algorithm.Span);
            writer.WriteEncodedValue(signature.Span);
        }
        return writer.Encode();
    }
}
