using System.Globalization;
using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// The device's GetPolicies (MS-XCEP §3.1.4.1.1.1), sent to DiscoverResponse's EnrollmentPolicyServiceUrl with the
/// same wsse:Security credentials as the enrolment request (MS-MDE2 §3.2). The body (client lastUpdate,
/// preferredLanguage, requestFilter) is always nil from Windows and is not modelled.
/// </summary>
public sealed record GetPoliciesRequest
{
    public required string MessageId { get; init; }

    public required string To { get; init; }

    public EnrollmentCredentials Credentials { get; init; } = EnrollmentCredentials.None;

    public ReadOnlyMemory<byte> Raw { get; init; }

    public static GetPoliciesRequest Decode(ReadOnlyMemory<byte> raw)
    {
        XNamespace p = EnrollmentSoap.PolicyNamespace;
        var envelope = SoapEnvelope.Read(raw, "a GetPolicies request");
        envelope.Expect(EnrollmentSoap.GetPoliciesAction, p + "GetPolicies");
        return new GetPoliciesRequest
        {
            MessageId = envelope.MessageId,
            To = envelope.To,
            Credentials = EnrollmentCredentials.Read(envelope.Header),
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        XNamespace p = EnrollmentSoap.PolicyNamespace;
        var nil = new XAttribute(Xsi + "nil", "true");
        var body = new XElement(
            p + "GetPolicies",
            new XAttribute("xmlns", p.NamespaceName),
            new XElement(p + "client", new XElement(p + "lastUpdate", nil), new XElement(p + "preferredLanguage", nil)),
            new XElement(p + "requestFilter", nil));
        var envelope = SoapEnvelope.Request(EnrollmentSoap.GetPoliciesAction, MessageId, To, Credentials.ToSecurityHeader(), body, EnrollmentCredentials.Namespaces);
        envelope.Element(S + "Body")!.Add(new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName));
        return ToBytes(envelope);
    }
}

/// <summary>
/// The policy service's answer (MS-XCEP §3.1.4.1.1.2): one certificate policy, as Windows reads it — the minimal key
/// length and the hash algorithm (by OID reference), plus the template's name, schema and validity. Windows
/// builds its PKCS#10 to match; with no policy at all it uses 2048-bit keys and SHA-1.
/// </summary>
public sealed record GetPoliciesResponse
{
    /// <summary>SHA-1: what Windows assumes when a policy names no hash algorithm (Windows federated-enrolment article).</summary>
    public const string Sha1Oid = "1.3.14.3.2.26";

    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    public required string RelatesTo { get; init; }

    /// <summary>MS-XCEP's policyID (the example sends it empty).</summary>
    public string PolicyId { get; init; } = "";

    public string? PolicyFriendlyName { get; init; }

    public int? NextUpdateHours { get; init; }

    /// <summary>The template's commonName; informational.</summary>
    public string? CommonName { get; init; }

    /// <summary>The template version; 3 is the one with hash-algorithm support (Windows enrolment article).</summary>
    public int PolicySchema { get; init; } = 3;

    public long? ValidityPeriodSeconds { get; init; }

    public long? RenewalPeriodSeconds { get; init; }

    public int MinimalKeyLength { get; init; } = 2048;

    /// <summary>Resolved through the response's oIDs; <see cref="Sha1Oid"/> when the reference is nil or absent.</summary>
    public string HashAlgorithmOid { get; init; } = Sha256Oid;

    /// <summary>The template OID (MS-XCEP OID group 9) when the policy references one.</summary>
    public string? PolicyOid { get; init; }

    public ReadOnlyMemory<byte> Raw { get; init; }

    // CRYPT_HASH_ALG_OID_GROUP_ID and CRYPT_TEMPLATE_OID_GROUP_ID (MS-XCEP §3.1.4.1.3.16, oID group).
    private const int HashGroup = 1;
    private const int TemplateGroup = 9;

    public static GetPoliciesResponse Decode(ReadOnlyMemory<byte> raw)
    {
        XNamespace p = EnrollmentSoap.PolicyNamespace;
        var envelope = SoapEnvelope.Read(raw, "a GetPoliciesResponse");
        var body = envelope.Expect(EnrollmentSoap.GetPoliciesResponseAction, p + "GetPoliciesResponse");
        var response = body.Required(p + "response");
        var policy = response.Required(p + "policies").Required(p + "policy");
        var attributes = policy.Required(p + "attributes");
        var keys = attributes.Required(p + "privateKeyAttributes");
        var oids = (body.Element(p + "oIDs")?.Elements(p + "oID") ?? []).Select(o => new
        {
            Value = o.RequiredText(p + "value"),
            Group = o.OptionalInt(p + "group"),
            Id = o.OptionalInt(p + "oIDReferenceID") ?? throw Missing(o, p + "oIDReferenceID"),
        }).ToList();

        string? Resolve(int? reference, XElement where, string name) => reference is null
            ? null
            : oids.FirstOrDefault(o => o.Id == reference)?.Value
                ?? throw new EnrollmentFormatException($"<{name}> in <{where.Name.LocalName}> refers to oIDReferenceID {reference}, which <oIDs> does not hold.");

        var policyOidReference = policy.OptionalInt(p + "policyOIDReference");
        var validity = attributes.Element(p + "certificateValidity");
        return new GetPoliciesResponse
        {
            RelatesTo = envelope.RelatesTo,
            PolicyId = response.OptionalText(p + "policyID") ?? "",
            PolicyFriendlyName = response.OptionalText(p + "policyFriendlyName"),
            NextUpdateHours = response.OptionalInt(p + "nextUpdateHours"),
            CommonName = attributes.OptionalText(p + "commonName"),
            PolicySchema = attributes.OptionalInt(p + "policySchema") ?? throw Missing(attributes, p + "policySchema"),
            ValidityPeriodSeconds = validity?.OptionalLong(p + "validityPeriodSeconds"),
            RenewalPeriodSeconds = validity?.OptionalLong(p + "renewalPeriodSeconds"),
            MinimalKeyLength = keys.OptionalInt(p + "minimalKeyLength") ?? throw Missing(keys, p + "minimalKeyLength"),
            HashAlgorithmOid = Resolve(attributes.OptionalInt(p + "hashAlgorithmOIDReference"), attributes, "hashAlgorithmOIDReference") ?? Sha1Oid,
            PolicyOid = policyOidReference is null || oids.FirstOrDefault(o => o.Id == policyOidReference)?.Group != TemplateGroup
                ? null
                : Resolve(policyOidReference, policy, "policyOIDReference"),
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        XNamespace p = EnrollmentSoap.PolicyNamespace;
        XElement Nil(string name) => new(p + name, new XAttribute(Xsi + "nil", "true"));
        XElement? Value(string name, object? value) => value is null ? Nil(name) : new XElement(p + name, Convert.ToString(value, CultureInfo.InvariantCulture));

        const int hashReference = 0, policyReference = 1;
        var attributes = new XElement(
            p + "attributes",
            Value("commonName", CommonName),
            new XElement(p + "policySchema", PolicySchema.ToString(CultureInfo.InvariantCulture)),
            ValidityPeriodSeconds is null && RenewalPeriodSeconds is null
                ? Nil("certificateValidity")
                : new XElement(p + "certificateValidity", Value("validityPeriodSeconds", ValidityPeriodSeconds), Value("renewalPeriodSeconds", RenewalPeriodSeconds)),
            new XElement(p + "permission", new XElement(p + "enroll", "true"), new XElement(p + "autoEnroll", "false")),
            new XElement(
                p + "privateKeyAttributes",
                new XElement(p + "minimalKeyLength", MinimalKeyLength.ToString(CultureInfo.InvariantCulture)),
                Nil("keySpec"),
                Nil("keyUsageProperty"),
                Nil("permissions"),
                Nil("algorithmOIDReference"),
                Nil("cryptoProviders")),
            new XElement(p + "revision", new XElement(p + "majorRevision", "101"), new XElement(p + "minorRevision", "0")),
            Nil("supersededPolicies"),
            Nil("privateKeyFlags"),
            Nil("subjectNameFlags"),
            Nil("enrollmentFlags"),
            Nil("generalFlags"),
            new XElement(p + "hashAlgorithmOIDReference", hashReference.ToString(CultureInfo.InvariantCulture)),
            Nil("rARequirements"),
            Nil("keyArchivalAttributes"),
            Nil("extensions"));
        var policy = new XElement(
            p + "policy",
            PolicyOid is null ? Nil("policyOIDReference") : new XElement(p + "policyOIDReference", policyReference.ToString(CultureInfo.InvariantCulture)),
            Nil("cAs"),
            attributes);
        var response = new XElement(
            p + "response",
            new XElement(p + "policyID", PolicyId),
            Value("policyFriendlyName", PolicyFriendlyName),
            Value("nextUpdateHours", NextUpdateHours),
            Nil("policiesNotChanged"),
            new XElement(p + "policies", policy));
        var oids = new XElement(p + "oIDs", Oid(HashAlgorithmOid, HashGroup, hashReference, "Hash algorithm"));
        if (PolicyOid is not null)
        {
            oids.Add(Oid(PolicyOid, TemplateGroup, policyReference, CommonName ?? "Certificate template"));
        }

        var body = new XElement(p + "GetPoliciesResponse", new XAttribute("xmlns", p.NamespaceName), response, Nil("cAs"), oids);
        var envelope = SoapEnvelope.Response(EnrollmentSoap.GetPoliciesResponseAction, RelatesTo, null, body);
        envelope.Element(S + "Body")!.Add(new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName), new XAttribute(XNamespace.Xmlns + "xsd", "http://www.w3.org/2001/XMLSchema"));
        return ToBytes(envelope);

        XElement Oid(string value, int group, int id, string name) => new(
            p + "oID",
            new XElement(p + "value", value),
            new XElement(p + "group", group.ToString(CultureInfo.InvariantCulture)),
            new XElement(p + "oIDReferenceID", id.ToString(CultureInfo.InvariantCulture)),
            new XElement(p + "defaultName", name));
    }
}
