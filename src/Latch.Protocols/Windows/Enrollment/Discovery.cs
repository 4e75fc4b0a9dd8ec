using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// The device's Discover request (MS-MDE2 §3.1.4.1.1.1, DiscoveryRequest §3.1.4.1.3.1), POSTed to
/// <c>https://enterpriseenrollment.{domain}/EnrollmentServer/Discovery.svc</c> after an empty GET.
/// </summary>
/// <remarks>
/// Shapes by RequestVersion, from what we could see: the captured Windows 10 desktop (10.0.19043) sends 4.0 with
/// EmailAddress, RequestVersion, DeviceType <c>CIMClient_Windows</c>, ApplicationVersion (the OS build), OSEdition
/// (the §2.2.9.6 product type) and AuthPolicies. The Windows article's 3.0 example (a Windows 10 Mobile client:
/// DeviceType <c>WindowsPhone</c>, ApplicationVersion 10.0.0.0) marks OSEdition "New" and RequestVersion and DeviceType
/// "Updated", so a pre-3.0 client (Windows Phone 8.1, Windows 8.1: 2.0 and below) sends no OSEdition. Hence DeviceType,
/// ApplicationVersion, OSEdition and AuthPolicies are optional here although today's schema requires them; OSVersion,
/// outside the schema, appears in the certificate-enrolment article's example. Elements not modelled are ignored. That
/// article also spells the Discover namespace with a trailing slash; both spellings are accepted.
/// </remarks>
public sealed record DiscoverRequest
{
    public required string MessageId { get; init; }

    public required string To { get; init; }

    /// <summary>The UPN the user typed; its domain chose the discovery host.</summary>
    public required string EmailAddress { get; init; }

    public required string RequestVersion { get; init; }

    public string? DeviceType { get; init; }

    public string? ApplicationVersion { get; init; }

    /// <summary>Sent by some Windows 10 builds (the certificate-enrolment article's example marks it "New in Windows 10").</summary>
    public string? OSVersion { get; init; }

    /// <summary>Decimal text as sent: the §2.2.9.6 product type (GetProductInfo's PRODUCT_*, e.g. 4 Enterprise, 48 Professional, 72 Enterprise Evaluation).</summary>
    public string? OSEdition { get; init; }

    /// <summary>The policies the client supports, in its order; empty when an old client sent none.</summary>
    public IReadOnlyList<string> AuthPolicies { get; init; } = [];

    public ReadOnlyMemory<byte> Raw { get; init; }

    public static DiscoverRequest Decode(ReadOnlyMemory<byte> raw)
    {
        var envelope = SoapEnvelope.Read(raw, "a Discover request");
        var discover = envelope.BodyElement;
        // The Windows article's spelling (trailing slash) is accepted; the children follow their parent's namespace.
        var ns = discover.Name.NamespaceName == EnrollmentSoap.DiscoveryNamespace + "/"
            ? discover.Name.Namespace
            : (XNamespace)EnrollmentSoap.DiscoveryNamespace;
        envelope.Expect(EnrollmentSoap.DiscoverAction, ns + "Discover");
        var request = discover.Required(ns + "request");
        var policies = request.Element(ns + "AuthPolicies")?.Elements(ns + "AuthPolicy").Select(p => p.Value.Trim()).Where(p => p.Length > 0).ToList();
        return new DiscoverRequest
        {
            MessageId = envelope.MessageId,
            To = envelope.To,
            EmailAddress = request.RequiredText(ns + "EmailAddress"),
            RequestVersion = request.RequiredText(ns + "RequestVersion"),
            DeviceType = request.OptionalText(ns + "DeviceType"),
            ApplicationVersion = request.OptionalText(ns + "ApplicationVersion"),
            OSEdition = request.OptionalText(ns + "OSEdition"),
            OSVersion = request.OptionalText(ns + "OSVersion"),
            AuthPolicies = policies ?? [],
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        XNamespace d = EnrollmentSoap.DiscoveryNamespace;
        var request = new XElement(
            d + "request",
            new XAttribute(XNamespace.Xmlns + "i", Xsi.NamespaceName),
            new XElement(d + "EmailAddress", EmailAddress),
            new XElement(d + "RequestVersion", RequestVersion),
            DeviceType is null ? null : new XElement(d + "DeviceType", DeviceType),
            ApplicationVersion is null ? null : new XElement(d + "ApplicationVersion", ApplicationVersion),
            OSEdition is null ? null : new XElement(d + "OSEdition", OSEdition),
            OSVersion is null ? null : new XElement(d + "OSVersion", OSVersion),
            AuthPolicies.Count == 0 ? null : new XElement(d + "AuthPolicies", AuthPolicies.Select(p => new XElement(d + "AuthPolicy", p))));
        var body = new XElement(d + "Discover", new XAttribute("xmlns", d.NamespaceName), request);
        return ToBytes(SoapEnvelope.Request(EnrollmentSoap.DiscoverAction, MessageId, To, null, body));
    }
}

/// <summary>
/// The discovery service's answer (MS-MDE2 §3.1.4.1.1.2, DiscoveryResponse §3.1.4.1.3.2): which auth policy to use
/// and where the policy (MS-XCEP) and enrolment (MS-WSTEP) services are.
/// </summary>
public sealed record DiscoverResponse
{
    public required string RelatesTo { get; init; }

    /// <summary>One of <see cref="EnrollmentAuthPolicies"/>: OnPremise, Federated or Certificate.</summary>
    public required string AuthPolicy { get; init; }

    /// <summary>
    /// Optional and nillable on the wire (decoded as empty); a server answers at most the client's RequestVersion.
    /// </summary>
    public string EnrollmentVersion { get; init; } = "";

    /// <summary>Optional and nillable on the wire (decoded as empty).</summary>
    public string EnrollmentPolicyServiceUrl { get; init; } = "";

    public required string EnrollmentServiceUrl { get; init; }

    /// <summary>The web authentication broker's start page; required for Federated, absent otherwise.</summary>
    public string? AuthenticationServiceUrl { get; init; }

    public ReadOnlyMemory<byte> Raw { get; init; }

    public static DiscoverResponse Decode(ReadOnlyMemory<byte> raw)
    {
        XNamespace d = EnrollmentSoap.DiscoveryNamespace;
        var envelope = SoapEnvelope.Read(raw, "a DiscoverResponse");
        var result = envelope.Expect(EnrollmentSoap.DiscoverResponseAction, d + "DiscoverResponse").Required(d + "DiscoverResult");
        return new DiscoverResponse
        {
            RelatesTo = envelope.RelatesTo,
            AuthPolicy = result.RequiredText(d + "AuthPolicy"),
            EnrollmentVersion = result.OptionalText(d + "EnrollmentVersion") ?? "",
            EnrollmentPolicyServiceUrl = result.OptionalText(d + "EnrollmentPolicyServiceUrl") ?? "",
            EnrollmentServiceUrl = result.RequiredText(d + "EnrollmentServiceUrl"),
            AuthenticationServiceUrl = result.OptionalText(d + "AuthenticationServiceUrl") is { Length: > 0 } url ? url : null,
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        XNamespace d = EnrollmentSoap.DiscoveryNamespace;
        var result = new XElement(
            d + "DiscoverResult",
            new XElement(d + "AuthPolicy", AuthPolicy),
            EnrollmentVersion.Length == 0 ? null : new XElement(d + "EnrollmentVersion", EnrollmentVersion),
            EnrollmentPolicyServiceUrl.Length == 0 ? null : new XElement(d + "EnrollmentPolicyServiceUrl", EnrollmentPolicyServiceUrl),
            new XElement(d + "EnrollmentServiceUrl", EnrollmentServiceUrl),
            AuthenticationServiceUrl is null ? null : new XElement(d + "AuthenticationServiceUrl", AuthenticationServiceUrl));
        var body = new XElement(d + "DiscoverResponse", new XAttribute("xmlns", d.NamespaceName), result);
        return ToBytes(SoapEnvelope.Response(EnrollmentSoap.DiscoverResponseAction, RelatesTo, null, body));
    }
}
