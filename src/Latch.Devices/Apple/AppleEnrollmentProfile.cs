using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Latch.Protocols.Apple;

namespace Latch.Devices.Apple;

// A signed enrolment profile (.mobileconfig) read as an enrolling device reads it: the CMS signature
// over the XML plist must verify, and the plist must hold the MDM payload and the identity it names.
// https://developer.apple.com/documentation/devicemanagement/mdm (the com.apple.mdm payload)
public sealed class AppleEnrollmentProfile : IDisposable
{
    public const string ContentType = "application/x-apple-aspen-config";

    private AppleEnrollmentProfile(
        PlistDict plist, X509Certificate2 signer, X509Certificate2 identity, IReadOnlyList<X509Certificate2> roots, PlistDict mdm)
    {
        Plist = plist;
        SignerCertificate = signer;
        Identity = identity;
        RootCertificates = roots;
        Topic = ProfileField.String(mdm, "Topic");
        ServerUrl = ProfileField.Url(mdm, "ServerURL");
        CheckInUrl = mdm.ContainsKey("CheckInURL") ? ProfileField.Url(mdm, "CheckInURL") : ServerUrl;
        SignMessage = ProfileField.OptionalBoolean(mdm, "SignMessage") ?? false;
        AccessRights = ProfileField.Integer(mdm, "AccessRights");
        CheckOutWhenRemoved = ProfileField.OptionalBoolean(mdm, "CheckOutWhenRemoved") ?? false;
    }

    // The whole profile, for payload keys not modelled here.
    public PlistDict Plist { get; }

    // Who signed the profile. Only the signature is checked, not the chain: iOS installs a profile
    // from an untrusted signer too (marked "Not Verified"), but never one whose signature is broken.
    public X509Certificate2 SignerCertificate { get; }

    // The device identity from the pkcs12 payload that IdentityCertificateUUID names, with its key.
    public X509Certificate2 Identity { get; }

    // The com.apple.security.root payloads.
    public IReadOnlyList<X509Certificate2> RootCertificates { get; }

    public string Topic { get; }

    // Where the device PUTs command reports.
    public Uri ServerUrl { get; }

    // Where the device PUTs check-in messages; ServerURL when the profile names none.
    public Uri CheckInUrl { get; }

    // True: every request carries an Mdm-Signature header signed by Identity.
    public bool SignMessage { get; }

    public long AccessRights { get; }

    public bool CheckOutWhenRemoved { get; }

    // Throws AppleProfileException, with the reason, for anything an enrolling device would refuse.
    public static AppleEnrollmentProfile Read(ReadOnlyMemory<byte> signedProfile)
    {
        var cms = new SignedCms();
        try
        {
            cms.Decode(signedProfile.Span);
        }
        catch (CryptographicException ex)
        {
            throw new AppleProfileException("The profile is not a CMS SignedData message (an unsigned or damaged .mobileconfig).", ex);
        }

        if (cms.Detached || cms.ContentInfo.Content.Length == 0)
        {
            throw new AppleProfileException("The profile's signature carries no content: the plist must be inside the SignedData.");
        }

        if (cms.SignerInfos.Count == 0)
        {
            throw new AppleProfileException("The profile has no signer.");
        }

        try
        {
            cms.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException ex)
        {
            throw new AppleProfileException("The profile's signature does not verify: the profile was altered or signed wrongly.", ex);
        }

        var signer = cms.SignerInfos[0].Certificate
            ?? throw new AppleProfileException("The profile's signer certificate is not included in the signature.");

        PlistDict plist;
        try
        {
            plist = Latch.Protocols.Apple.Plist.ReadDict(cms.ContentInfo.Content);
        }
        catch (PlistFormatException ex)
        {
            throw new AppleProfileException($"The signed content is not a valid XML plist: {ex.Message}", ex);
        }

        var payloads = ProfileField.Payloads(plist);
        var mdm = payloads.SingleOrDefault(p => ProfileField.OptionalString(p, "PayloadType") == "com.apple.mdm")
            ?? throw new AppleProfileException("The profile has no com.apple.mdm payload (or more than one).");
        var identityUuid = ProfileField.String(mdm, "IdentityCertificateUUID");
        var identityPayload = payloads.FirstOrDefault(p => ProfileField.OptionalString(p, "PayloadUUID") == identityUuid)
            ?? throw new AppleProfileException($"No payload has the PayloadUUID '{identityUuid}' that IdentityCertificateUUID names.");
        if (ProfileField.OptionalString(identityPayload, "PayloadType") != "com.apple.security.pkcs12")
        {
            throw new AppleProfileException(
                $"The identity payload is {ProfileField.OptionalString(identityPayload, "PayloadType") ?? "untyped"}; the simulator reads com.apple.security.pkcs12 identities only.");
        }

        var roots = new List<X509Certificate2>();
        X509Certificate2? identity = null;
        try
        {
            foreach (var root in payloads.Where(p => ProfileField.OptionalString(p, "PayloadType") == "com.apple.security.root"))
            {
                roots.Add(LoadCertificate(ProfileField.Data(root, "PayloadContent")));
            }

            identity = LoadIdentity(ProfileField.Data(identityPayload, "PayloadContent"), ProfileField.OptionalString(identityPayload, "Password"));
            return new AppleEnrollmentProfile(plist, signer, identity, roots, mdm);
        }
        catch
        {
            identity?.Dispose();
            roots.ForEach(r => r.Dispose());
            throw;
        }
    }

    // GET {server}/v1.0/latch/enrollmentProfiles/apple?user=... as an administrator's script or a user's
    // browser does. Throws AppleProfileDownloadException naming the failure (unreachable, 401, 403, ...).
    public static async Task<byte[]> DownloadAsync(
        HttpClient http, Uri server, string bearerToken, string userPrincipalName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentException.ThrowIfNullOrEmpty(bearerToken);
        ArgumentException.ThrowIfNullOrEmpty(userPrincipalName);
        var root = server.AbsoluteUri.EndsWith('/') ? server.AbsoluteUri : server.AbsoluteUri + "/";
        var url = new Uri($"{root}v1.0/latch/enrollmentProfiles/apple?user={Uri.EscapeDataString(userPrincipalName)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ContentType));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new AppleProfileDownloadException(null, $"Cannot reach the server at {server}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AppleProfileDownloadException(null, $"The server at {server} did not answer in time.", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }

            var status = (int)response.StatusCode;
            var said = ErrorMessage(body) is { } message ? $" The server said: {message}" : "";
            var what = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "The server refused the token (401 Unauthorized): check --token.",
                HttpStatusCode.Forbidden => "The token's account may not download enrolment profiles for this user (403 Forbidden).",
                HttpStatusCode.NotFound => $"Not found (404) at {url}: unknown user, or a server without Apple enrolment.",
                _ => $"The profile download failed with {status} {response.ReasonPhrase}.",
            };
            throw new AppleProfileDownloadException(response.StatusCode, what + said);
        }
    }

    public void Dispose()
    {
        Identity.Dispose();
        SignerCertificate.Dispose();
        foreach (var root in RootCertificates)
        {
            root.Dispose();
        }
    }

    private static X509Certificate2 LoadCertificate(ReadOnlyMemory<byte> der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der.Span);
        }
        catch (CryptographicException ex)
        {
            throw new AppleProfileException("A com.apple.security.root payload does not hold a DER certificate.", ex);
        }
    }

    private static X509Certificate2 LoadIdentity(ReadOnlyMemory<byte> pkcs12, string? password)
    {
        X509Certificate2 identity;
        try
        {
            identity = X509CertificateLoader.LoadPkcs12(pkcs12.Span, password);
        }
        catch (CryptographicException ex)
        {
            throw new AppleProfileException("The identity's PKCS#12 cannot be opened: wrong Password, or damaged data.", ex);
        }

        if (!identity.HasPrivateKey)
        {
            identity.Dispose();
            throw new AppleProfileException("The identity's PKCS#12 holds no private key.");
        }

        return identity;
    }

    // Graph's error shape {"error":{"message":...}}, when the server answered with it.
    private static string? ErrorMessage(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message", out var message)
                && message.ValueKind == JsonValueKind.String
                    ? message.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

// Typed reads of profile keys; every failure is an AppleProfileException naming the key.
internal static class ProfileField
{
    public static IReadOnlyList<PlistDict> Payloads(PlistDict profile) =>
        profile.TryGetValue("PayloadContent", out var value) && value is PlistArray array
            ? [.. array.Items.Select(i => i as PlistDict ?? throw new AppleProfileException("Each PayloadContent item must be a <dict>."))]
            : throw new AppleProfileException("The profile has no PayloadContent <array>.");

    public static string? OptionalString(PlistDict dict, string key) => Optional<PlistString>(dict, key, "<string>")?.Value;

    public static string String(PlistDict dict, string key) =>
        OptionalString(dict, key) ?? throw new AppleProfileException($"The payload has no '{key}' <string>.");

    public static bool? OptionalBoolean(PlistDict dict, string key) => Optional<PlistBoolean>(dict, key, "<true/> or <false/>")?.Value;

    public static long Integer(PlistDict dict, string key) =>
        Optional<PlistInteger>(dict, key, "<integer>")?.Value ?? throw new AppleProfileException($"The payload has no '{key}' <integer>.");

    public static ReadOnlyMemory<byte> Data(PlistDict dict, string key) =>
        Optional<PlistData>(dict, key, "<data>")?.Value ?? throw new AppleProfileException($"The payload has no '{key}' <data>.");

    public static Uri Url(PlistDict dict, string key) =>
        Uri.TryCreate(String(dict, key), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw new AppleProfileException($"'{key}' must be an absolute http(s) URL.");

    private static T? Optional<T>(PlistDict dict, string key, string type)
        where T : PlistValue =>
        !dict.TryGetValue(key, out var value) ? null
            : value as T ?? throw new AppleProfileException($"The payload key '{key}' must be a {type}.");
}
