using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// A SOAP 1.2 fault declining an enrolment message (MS-MDE2 §2.2.10): Code, Subcode, Reason and, optionally, the
/// Detail's DeviceEnrollmentServiceError whose ErrorType tells Windows which message to show.
/// </summary>
public sealed record EnrollmentFault
{
    /// <summary>Defaults to <see cref="EnrollmentSoap.FaultAction"/>; §2.2.10's example uses the RSTRC Action instead.</summary>
    public string Action { get; init; } = EnrollmentSoap.FaultAction;

    public string? RelatesTo { get; init; }

    /// <summary><c>s:Receiver</c> or <c>s:Sender</c>; decoded prefixes are normalised to s: (SOAP) and a: (WS-Addressing).</summary>
    public string Code { get; init; } = "s:Receiver";

    /// <summary>One of <see cref="EnrollmentFaultSubcodes"/>; empty when the fault has none.</summary>
    public required string Subcode { get; init; }

    /// <summary>Reason/Text, written with xml:lang="en-US".</summary>
    public required string Reason { get; init; }

    /// <summary>One of <see cref="EnrollmentErrorTypes"/>; with <see cref="TraceId"/>, written as Detail/DeviceEnrollmentServiceError.</summary>
    public string? ErrorType { get; init; }

    /// <summary>Free text logged by Windows, identifying the server's state for this attempt (§2.2.10).</summary>
    public string? TraceId { get; init; }

    public ReadOnlyMemory<byte> Raw { get; init; }

    public static EnrollmentFault Decode(ReadOnlyMemory<byte> raw)
    {
        var envelope = SoapEnvelope.Read(raw, "a SOAP fault");
        var fault = envelope.BodyElement;
        if (fault.Name != S + "Fault")
        {
            throw new EnrollmentFormatException($"The body holds <{Clip(fault.Name.LocalName)}>, not a SOAP 1.2 <s:Fault>.");
        }

        var code = fault.Required(S + "Code");
        var value = code.Required(S + "Value");
        var subcode = code.Element(S + "Subcode")?.Element(S + "Value");
        var error = fault.Element(S + "Detail")?.Element(Enroll + "DeviceEnrollmentServiceError");
        return new EnrollmentFault
        {
            Action = envelope.Action ?? EnrollmentSoap.FaultAction,
            RelatesTo = envelope.Header.OptionalText(A + "RelatesTo"),
            Code = QName(value),
            Subcode = subcode is null ? "" : QName(subcode),
            Reason = fault.Required(S + "Reason").Required(S + "Text").Value.Trim(),
            ErrorType = error?.OptionalText(Enroll + "ErrorType"),
            TraceId = error?.OptionalText(Enroll + "TraceId"),
            Raw = raw,
        };
    }

    /// <summary>For a client that does not know whether it got its answer or a fault.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> raw, out EnrollmentFault? fault)
    {
        try
        {
            fault = Decode(raw);
            return true;
        }
        catch (EnrollmentFormatException)
        {
            fault = null;
            return false;
        }
    }

    public byte[] Encode()
    {
        var detail = ErrorType is null && TraceId is null
            ? null
            : new XElement(
                S + "Detail",
                new XElement(
                    Enroll + "DeviceEnrollmentServiceError",
                    new XAttribute("xmlns", Enroll.NamespaceName),
                    ErrorType is null ? null : new XElement(Enroll + "ErrorType", ErrorType),
                    new XElement(Enroll + "Message", Reason),
                    TraceId is null ? null : new XElement(Enroll + "TraceId", TraceId)));
        var body = new XElement(
            S + "Fault",
            new XElement(
                S + "Code",
                new XElement(S + "Value", Code),
                Subcode.Length == 0 ? null : new XElement(S + "Subcode", new XElement(S + "Value", Subcode))),
            new XElement(S + "Reason", new XElement(S + "Text", new XAttribute(XNamespace.Xml + "lang", "en-US"), Reason)),
            detail);
        return ToBytes(SoapEnvelope.Response(Action, RelatesTo, null, body));
    }

    // The wire carries QNames; map whatever prefix the sender bound to the two namespaces onto s: and a:.
    private static string QName(XElement value)
    {
        var text = value.Value.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return text;
        }

        var ns = value.GetNamespaceOfPrefix(text[..colon])?.NamespaceName;
        return ns switch
        {
            EnrollmentSoap.SoapNamespace => "s:" + text[(colon + 1)..],
            EnrollmentSoap.AddressingNamespace => "a:" + text[(colon + 1)..],
            _ => text,
        };
    }
}

/// <summary>The fault subcodes of MS-MDE2 §2.2.10, with the Windows error each one shows.</summary>
public static class EnrollmentFaultSubcodes
{
    /// <summary>MENROLL_E_DEVICE_MESSAGE_FORMAT_ERROR (0x80180001).</summary>
    public const string MessageFormat = "s:MessageFormat";

    /// <summary>MENROLL_E_DEVICE_AUTHENTICATION_ERROR (0x80180002): user not recognised.</summary>
    public const string Authentication = "s:Authentication";

    /// <summary>MENROLL_E_DEVICE_AUTHORIZATION_ERROR (0x80180003): user not allowed to enrol.</summary>
    public const string Authorization = "s:Authorization";

    /// <summary>MENROLL_E_DEVICE_CERTIFCATEREQUEST_ERROR (0x80180004): failed to get a certificate.</summary>
    public const string CertificateRequest = "s:CertificateRequest";

    /// <summary>MENROLL_E_DEVICE_CONFIGMGRSERVER_ERROR (0x80180005): generic server failure.</summary>
    public const string EnrollmentServer = "s:EnrollmentServer";

    /// <summary>MENROLL_E_DEVICE_INTERNALSERVICE_ERROR (0x80180006): unhandled server exception.</summary>
    public const string InternalServiceFault = "a:InternalServiceFault";

    /// <summary>MENROLL_E_DEVICE_INVALIDSECURITY_ERROR (0x80180007): the account could not be validated.</summary>
    public const string InvalidSecurity = "a:InvalidSecurity";
}

/// <summary>The DeviceEnrollmentServiceError ErrorType values of MS-MDE2 §2.2.10 (and its 2023 errata).</summary>
public static class EnrollmentErrorTypes
{
    /// <summary>MENROLL_E_DEVICECAPREACHED (0x80180013): the user has too many devices; the user can fix it.</summary>
    public const string DeviceCapReached = "DeviceCapReached";

    /// <summary>MENROLL_E_DEVICENOTSUPPORTED (0x80180014): this platform or version is not supported.</summary>
    public const string DeviceNotSupported = "DeviceNotSupported";

    /// <summary>MENROLL_E_NOTSUPPORTED (0x80180015): MDM is not supported for this device.</summary>
    public const string NotSupported = "NotSupported";

    /// <summary>MENROLL_E_NOTELIGIBLETORENEW (0x80180016): renewal refused.</summary>
    public const string NotEligibleToRenew = "NotEligibleToRenew";

    /// <summary>MENROLL_E_INMAINTENANCE (0x80180017): try again later.</summary>
    public const string InMaintenance = "InMaintenance";

    /// <summary>MENROLL_E_USER_LICENSE (0x80180018).</summary>
    public const string UserLicense = "UserLicense";

    /// <summary>MENROLL_E_ENROLLMENTDATAINVALID (0x80180019): the server rejected the enrolment data.</summary>
    public const string InvalidEnrollmentData = "InvalidEnrollmentData";

    /// <summary>Added by the 2023 errata: Windows shows the fault's own message.</summary>
    public const string CustomServerError = "CustomServerError";
}
