using System.Text;
using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>One AdditionalContext ContextItem (MS-WSTEP §3.1.4.1.2.1): a name may repeat (MAC, IMEI).</summary>
public sealed record EnrollmentContextItem(string Name, string Value);

/// <summary>
/// The device's RequestSecurityToken (MS-WSTEP §3.1.4.1.1.1 as profiled by MS-MDE2 §3.3): the credentials, a
/// base64 DER certificate request (PKCS#10 to enrol, PKCS#7 to renew) and the AdditionalContext that describes the
/// device.
/// </summary>
/// <remarks>
/// Context names Windows sends (captured 10.0.19043 device; Windows enrolment article): UXInitiated, HWDevID, Locale,
/// TargetedUserLoggedIn, OSEdition, DeviceName, MAC (repeated), DeviceID, EnrollmentType, DeviceType, OSVersion,
/// ApplicationVersion, NotInOobe; IMEI (repeated) on phones. AdditionalContext is in the ws/2006/12/authorization
/// namespace in every capture and example; the enrolment namespace is accepted too.
/// </remarks>
public sealed record RequestSecurityTokenRequest
{
    public required string MessageId { get; init; }

    public required string To { get; init; }

    public EnrollmentCredentials Credentials { get; init; } = EnrollmentCredentials.None;

    public string TokenType { get; init; } = EnrollmentSoap.DeviceEnrollmentTokenType;

    /// <summary><see cref="EnrollmentSoap.IssueRequestType"/> or <see cref="EnrollmentSoap.RenewRequestType"/>.</summary>
    public string RequestType { get; init; } = EnrollmentSoap.IssueRequestType;

    public bool IsRenewal => RequestType == EnrollmentSoap.RenewRequestType;

    /// <summary><see cref="EnrollmentSoap.Pkcs10ValueType"/>, or a PKCS#7 ValueType for renewal.</summary>
    public string BinarySecurityTokenValueType { get; init; } = EnrollmentSoap.Pkcs10ValueType;

    /// <summary>The DER request, decoded from the body's BinarySecurityToken.</summary>
    public required byte[] CertificateRequest { get; init; }

    /// <summary>Name → first Value, case-insensitive when decoded. Encoding writes it only when <see cref="ContextItems"/> is empty.</summary>
    public IReadOnlyDictionary<string, string> Context { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every ContextItem in order, repeats kept; the encoder prefers it to <see cref="Context"/>.</summary>
    public IReadOnlyList<EnrollmentContextItem> ContextItems { get; init; } = [];

    public ReadOnlyMemory<byte> Raw { get; init; }

    private static readonly string[] KnownValueTypes =
        [EnrollmentSoap.Pkcs10ValueType, EnrollmentSoap.Pkcs7ValueType, EnrollmentSoap.Pkcs7SecurityValueType];

    public static RequestSecurityTokenRequest Decode(ReadOnlyMemory<byte> raw)
    {
        var envelope = SoapEnvelope.Read(raw, "a RequestSecurityToken");
        var rst = envelope.Expect(EnrollmentSoap.RequestSecurityTokenAction, Wst + "RequestSecurityToken");
        var requestType = rst.RequiredText(Wst + "RequestType");
        if (requestType is not (EnrollmentSoap.IssueRequestType or EnrollmentSoap.RenewRequestType))
        {
            throw new EnrollmentFormatException($"RequestType '{Clip(requestType)}' is neither Issue nor Renew.");
        }

        var token = rst.Required(Wsse + "BinarySecurityToken");
        RequireBase64Encoding(token);
        var valueType = token.SecurityAttribute("ValueType")?.Trim();
        if (valueType is null || !KnownValueTypes.Contains(valueType))
        {
            throw new EnrollmentFormatException($"The certificate request's ValueType '{Clip(valueType ?? "")}' is neither PKCS#10 nor PKCS#7.");
        }

        var request = Base64(token.Value.Trim(), "The certificate request (BinarySecurityToken)");
        if (request.Length == 0)
        {
            throw new EnrollmentFormatException("The certificate request (BinarySecurityToken) is empty.");
        }

        var context = rst.Element(Ac + "AdditionalContext") ?? rst.Element(Enroll + "AdditionalContext");
        var items = context is null ? [] : context.Elements(context.Name.Namespace + "ContextItem").Select(item => new EnrollmentContextItem(
            ((string?)item.Attribute("Name"))?.Trim() is { Length: > 0 } name ? name : throw new EnrollmentFormatException("A ContextItem has no Name."),
            item.Element(context.Name.Namespace + "Value")?.Value.Trim() ?? throw Missing(item, context.Name.Namespace + "Value"))).ToList();
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in items)
        {
            byName.TryAdd(item.Name, item.Value);
        }

        return new RequestSecurityTokenRequest
        {
            MessageId = envelope.MessageId,
            To = envelope.To,
            Credentials = EnrollmentCredentials.Read(envelope.Header),
            TokenType = rst.RequiredText(Wst + "TokenType"),
            RequestType = requestType,
            BinarySecurityTokenValueType = valueType,
            CertificateRequest = request,
            Context = byName,
            ContextItems = items,
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        var items = ContextItems.Count > 0 ? ContextItems : Context.Select(pair => new EnrollmentContextItem(pair.Key, pair.Value)).ToList();
        var rst = new XElement(
            Wst + "RequestSecurityToken",
            new XElement(Wst + "TokenType", TokenType),
            new XElement(Wst + "RequestType", RequestType),
            new XElement(
                Wsse + "BinarySecurityToken",
                new XAttribute("ValueType", BinarySecurityTokenValueType),
                new XAttribute("EncodingType", EnrollmentSoap.Base64BinaryEncodingType),
                Convert.ToBase64String(CertificateRequest)),
            new XElement(
                Ac + "AdditionalContext",
                items.Select(item => new XElement(Ac + "ContextItem", new XAttribute("Name", item.Name), new XElement(Ac + "Value", item.Value)))));
        return ToBytes(SoapEnvelope.Request(
            EnrollmentSoap.RequestSecurityTokenAction,
            MessageId,
            To,
            Credentials.ToSecurityHeader(),
            rst,
            [.. EnrollmentCredentials.Namespaces, new(XNamespace.Xmlns + "wst", Wst.NamespaceName), new(XNamespace.Xmlns + "ac", Ac.NamespaceName)]));
    }
}

/// <summary>
/// The enrolment service's answer (MS-WSTEP §3.1.4.1.1.2 as profiled by MS-MDE2 §3.4.4.2): a
/// RequestSecurityTokenResponseCollection whose BinarySecurityToken, ValueType
/// <see cref="EnrollmentSoap.ProvisionDocValueType"/>, holds the wap-provisioningdoc as base64 of its UTF-8 text.
/// </summary>
public sealed record RequestSecurityTokenResponse
{
    public required string RelatesTo { get; init; }

    public string TokenType { get; init; } = EnrollmentSoap.DeviceEnrollmentTokenType;

    /// <summary>The wap-provisioningdoc XML text; see <see cref="WapProvisioningDoc"/> and <see cref="WindowsProvisioning"/>.</summary>
    public required string ProvisioningDocument { get; init; }

    public string RequestId { get; init; } = "0";

    /// <summary>The enrolment namespace's DispositionMessage; empty in every example.</summary>
    public string DispositionMessage { get; init; } = "";

    /// <summary>The optional wsse:Security u:Timestamp of the example response; written only when both are set.</summary>
    public DateTimeOffset? Created { get; init; }

    public DateTimeOffset? Expires { get; init; }

    public ReadOnlyMemory<byte> Raw { get; init; }

    public WapProvisioningDoc ReadProvisioningDocument() => WapProvisioningDoc.Decode(ProvisioningDocument);

    public static RequestSecurityTokenResponse Decode(ReadOnlyMemory<byte> raw)
    {
        var envelope = SoapEnvelope.Read(raw, "a RequestSecurityTokenResponseCollection");
        var collection = envelope.Expect(EnrollmentSoap.RequestSecurityTokenResponseAction, Wst + "RequestSecurityTokenResponseCollection");
        var response = collection.Required(Wst + "RequestSecurityTokenResponse");
        var token = response.Required(Wst + "RequestedSecurityToken").Required(Wsse + "BinarySecurityToken");
        RequireBase64Encoding(token);
        var valueType = token.SecurityAttribute("ValueType")?.Trim();
        if (valueType is not (EnrollmentSoap.ProvisionDocValueType or EnrollmentSoap.ProvisionDocValueTypeUnversioned))
        {
            throw new EnrollmentFormatException($"The RSTR's BinarySecurityToken ValueType '{Clip(valueType ?? "")}' is not {EnrollmentSoap.ProvisionDocValueType}.");
        }

        var document = Utf8(Base64(token.Value.Trim(), "The provisioning document (BinarySecurityToken)"), "The provisioning document");
        if (string.IsNullOrWhiteSpace(document))
        {
            throw new EnrollmentFormatException("The provisioning document (BinarySecurityToken) is empty.");
        }

        var timestamp = envelope.Header.Element(Wsse + "Security")?.Element(U + "Timestamp");
        return new RequestSecurityTokenResponse
        {
            RelatesTo = envelope.RelatesTo,
            TokenType = response.RequiredText(Wst + "TokenType"),
            ProvisioningDocument = document,
            RequestId = response.OptionalText(Enroll + "RequestID") ?? "0",
            DispositionMessage = response.OptionalText(Enroll + "DispositionMessage") ?? "",
            Created = Time(timestamp, "Created"),
            Expires = Time(timestamp, "Expires"),
            Raw = raw,
        };
    }

    public byte[] Encode()
    {
        XElement? security = null;
        if (Created is { } created && Expires is { } expires)
        {
            security = SoapEnvelope.MustUnderstand(new XElement(
                Wsse + "Security",
                new XAttribute(XNamespace.Xmlns + "o", Wsse.NamespaceName), // the o: prefix of MS-MDE2's example
                new XElement(
                    U + "Timestamp",
                    new XAttribute(U + "Id", "_0"),
                    new XElement(U + "Created", Format(created)),
                    new XElement(U + "Expires", Format(expires)))));
        }

        var body = new XElement(
            Wst + "RequestSecurityTokenResponseCollection",
            new XAttribute("xmlns", Wst.NamespaceName),
            new XElement(
                Wst + "RequestSecurityTokenResponse",
                new XElement(Wst + "TokenType", TokenType),
                new XElement(Enroll + "DispositionMessage", new XAttribute("xmlns", Enroll.NamespaceName), DispositionMessage),
                new XElement(
                    Wst + "RequestedSecurityToken",
                    new XElement(
                        Wsse + "BinarySecurityToken",
                        new XAttribute("xmlns", Wsse.NamespaceName),
                        new XAttribute("ValueType", EnrollmentSoap.ProvisionDocValueType),
                        new XAttribute("EncodingType", EnrollmentSoap.Base64BinaryEncodingType),
                        Convert.ToBase64String(Encoding.UTF8.GetBytes(ProvisioningDocument)))),
                new XElement(Enroll + "RequestID", new XAttribute("xmlns", Enroll.NamespaceName), RequestId)));
        return ToBytes(SoapEnvelope.Response(
            EnrollmentSoap.RequestSecurityTokenResponseAction,
            RelatesTo,
            security,
            body,
            new XAttribute(XNamespace.Xmlns + "u", U.NamespaceName)));
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(XElement? timestamp, string name)
    {
        var text = timestamp?.Element(U + name)?.Value.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new EnrollmentFormatException($"u:Timestamp <{name}> is not a time: '{Clip(text)}'.");
    }
}
