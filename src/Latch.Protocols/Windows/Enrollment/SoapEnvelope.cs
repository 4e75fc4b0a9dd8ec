using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

// A decoded SOAP 1.2 envelope: the WS-Addressing headers every enrolment message carries and the one body element.
internal sealed class SoapEnvelope
{
    private SoapEnvelope(XElement header, XElement body, string what)
    {
        Header = header;
        BodyElement = body;
        What = what;
    }

    public XElement Header { get; }

    public XElement BodyElement { get; }

    private string What { get; }

    public string? Action => Header.OptionalText(A + "Action");

    public static SoapEnvelope Read(ReadOnlyMemory<byte> raw, string what)
    {
        var root = Load(raw, what);
        if (root.Name != S + "Envelope")
        {
            throw new EnrollmentFormatException(root.Name.LocalName == "Envelope"
                ? $"The envelope's namespace is '{Clip(root.Name.NamespaceName)}'; {what} is SOAP 1.2 ({EnrollmentSoap.SoapNamespace})."
                : $"The root element must be <s:Envelope>, not <{Clip(root.Name.LocalName)}>.");
        }

        var header = root.Element(S + "Header") ?? new XElement(S + "Header");
        var body = root.Required(S + "Body");
        var elements = body.Elements().Take(2).ToList();
        if (elements.Count != 1)
        {
            throw new EnrollmentFormatException($"<s:Body> must hold exactly one element; expected {what}.");
        }

        return new SoapEnvelope(header, elements[0], what);
    }

    // Checks the Action and the body element, so that a fault or another message is refused with its own name.
    public XElement Expect(string action, XName body)
    {
        if (BodyElement.Name == S + "Fault")
        {
            var reason = BodyElement.Element(S + "Reason")?.Element(S + "Text")?.Value.Trim();
            throw new EnrollmentFormatException($"The body is a SOAP fault ('{Clip(reason ?? "")}'), not {What}; decode it with EnrollmentFault.");
        }

        var actual = Header.OptionalText(A + "Action");
        if (string.IsNullOrEmpty(actual))
        {
            throw new EnrollmentFormatException($"The header has no <a:Action>; {What} has Action {action}.");
        }

        if (!string.Equals(actual, action, StringComparison.Ordinal))
        {
            throw new EnrollmentFormatException($"Action '{Clip(actual)}' is not {What}'s ({action}).");
        }

        if (BodyElement.Name != body)
        {
            throw new EnrollmentFormatException($"The body holds <{Clip(BodyElement.Name.LocalName)}> ({Clip(BodyElement.Name.NamespaceName)}); {What} is <{body.LocalName}> ({body.NamespaceName}).");
        }

        return BodyElement;
    }

    public string MessageId => Header.RequiredText(A + "MessageID");

    public string To => Header.RequiredText(A + "To");

    public string RelatesTo => Header.RequiredText(A + "RelatesTo");

    // A request as Windows sends it: Action and To must be understood, replies go to the anonymous address.
    public static XElement Request(string action, string messageId, string to, XElement? security, XElement body, params XAttribute[] namespaces) =>
        Envelope(
            namespaces,
            new XElement(
                S + "Header",
                MustUnderstand(new XElement(A + "Action", action)),
                new XElement(A + "MessageID", messageId),
                new XElement(A + "ReplyTo", new XElement(A + "Address", EnrollmentSoap.AnonymousAddress)),
                MustUnderstand(new XElement(A + "To", to)),
                security),
            body);

    // A response as MS-MDE2 section 4 shows it: Action (mustUnderstand) then RelatesTo.
    public static XElement Response(string action, string? relatesTo, XElement? security, XElement body, params XAttribute[] namespaces) =>
        Envelope(
            namespaces,
            new XElement(
                S + "Header",
                MustUnderstand(new XElement(A + "Action", action)),
                relatesTo is null ? null : new XElement(A + "RelatesTo", relatesTo),
                security),
            body);

    public static XElement MustUnderstand(XElement element)
    {
        element.SetAttributeValue(S + "mustUnderstand", "1");
        return element;
    }

    private static XElement Envelope(XAttribute[] namespaces, XElement header, XElement body) =>
        new(
            S + "Envelope",
            new XAttribute(XNamespace.Xmlns + "s", S.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "a", A.NamespaceName),
            namespaces,
            header,
            new XElement(S + "Body", body));
}
