using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Latch.Protocols.Windows.Enrollment;

// Strict, bounded loading of enrolment XML into a small element tree, and the lookups the decoders share. A DTD is
// refused outright (nothing is ever fetched or expanded), the document and its nesting are bounded, and every reader
// failure becomes an EnrollmentFormatException.
internal static class EnrollmentXml
{
    // A real RSTR with two certificates is about 10 KB; a megabyte leaves room for long chains and nothing more.
    public const int MaxBytes = 1 << 20;

    // The deepest real message (GetPoliciesResponse's minimalKeyLength) is 9 levels down.
    public const int MaxDepth = 32;

    public static readonly XNamespace S = EnrollmentSoap.SoapNamespace;
    public static readonly XNamespace A = EnrollmentSoap.AddressingNamespace;
    public static readonly XNamespace Wsse = EnrollmentSoap.SecurityNamespace;
    public static readonly XNamespace U = EnrollmentSoap.SecurityUtilityNamespace;
    public static readonly XNamespace Wst = EnrollmentSoap.TrustNamespace;
    public static readonly XNamespace Ac = EnrollmentSoap.AuthorizationNamespace;
    public static readonly XNamespace Enroll = EnrollmentSoap.EnrollmentNamespace;
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = MaxBytes,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static XElement Load(ReadOnlyMemory<byte> raw, string what)
    {
        if (raw.IsEmpty)
        {
            throw new EnrollmentFormatException($"The body is empty; expected {what}.");
        }

        if (raw.Length > MaxBytes)
        {
            throw new EnrollmentFormatException($"The body is {raw.Length} bytes; {what} is at most {MaxBytes}.");
        }

        var stream = MemoryMarshal.TryGetArray(raw, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(raw.ToArray(), writable: false);
        return Load(() => XmlReader.Create(stream, Settings), what);
    }

    public static XElement Load(string xml, string what)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            throw new EnrollmentFormatException($"The text is empty; expected {what}.");
        }

        return Load(() => XmlReader.Create(new StringReader(xml), Settings), what);
    }

    private static XElement Load(Func<XmlReader> open, string what)
    {
        try
        {
            // Create reads the first bytes already (encoding, byte-order mark): its errors are the document's too.
            using var reader = open();
            return Build(reader, what);
        }
        catch (XmlException ex)
        {
            throw new EnrollmentFormatException($"Malformed XML in {what}: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            // System.Xml fails this way on some malformed declarations and on undecodable bytes
            // (DecoderFallbackException is an ArgumentException), as the Apple codec's fuzzing found.
            throw new EnrollmentFormatException($"Malformed XML in {what}: the document cannot be read ({ex.GetType().Name}).", ex);
        }
    }

    // A hand-rolled loop rather than XDocument.Load, so that nesting is refused while reading, not after.
    private static XElement Build(XmlReader reader, string what)
    {
        XElement? root = null;
        XElement? current = null;
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (reader.Depth >= MaxDepth)
                    {
                        throw new EnrollmentFormatException($"{what} nests deeper than {MaxDepth} elements.");
                    }

                    var element = new XElement(XName.Get(reader.LocalName, reader.NamespaceURI));
                    while (reader.MoveToNextAttribute())
                    {
                        element.Add(new XAttribute(AttributeName(reader), reader.Value));
                    }

                    reader.MoveToElement();
                    if (current is null)
                    {
                        root = element;
                    }
                    else
                    {
                        current.Add(element);
                    }

                    if (!reader.IsEmptyElement)
                    {
                        current = element;
                    }

                    break;
                case XmlNodeType.EndElement:
                    current = current?.Parent;
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    current?.Add(new XText(reader.Value));
                    break;
            }
        }

        return root ?? throw new EnrollmentFormatException($"No root element; expected {what}.");
    }

    private static XName AttributeName(XmlReader reader)
    {
        if (reader.NamespaceURI == XNamespace.Xmlns.NamespaceName)
        {
            // Namespace declarations are kept so that QName values (a fault's "s:Receiver") can be resolved.
            return reader.Prefix.Length == 0 ? XName.Get("xmlns") : XNamespace.Xmlns + reader.LocalName;
        }

        return XName.Get(reader.LocalName, reader.NamespaceURI);
    }

    public static XElement Required(this XElement parent, XName name) =>
        parent.Element(name) ?? throw Missing(parent, name);

    // Required, non-empty text, trimmed: Microsoft's examples wrap Action, To and URLs in whitespace.
    public static string RequiredText(this XElement parent, XName name)
    {
        var text = parent.Required(name).Value.Trim();
        return text.Length > 0 ? text : throw new EnrollmentFormatException($"<{name.LocalName}> in <{parent.Name.LocalName}> is empty.");
    }

    // Null when absent or xsi:nil="true" (MS-MDE2 and MS-XCEP mark optional elements nillable).
    public static string? OptionalText(this XElement parent, XName name)
    {
        var element = parent.Element(name);
        return element is null || IsNil(element) ? null : element.Value.Trim();
    }

    public static bool IsNil(XElement element) => (string?)element.Attribute(Xsi + "nil") is "true" or "1";

    public static int? OptionalInt(this XElement parent, XName name)
    {
        var text = parent.OptionalText(name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new EnrollmentFormatException($"<{name.LocalName}> in <{parent.Name.LocalName}> is not an integer: '{Clip(text)}'.");
    }

    public static long? OptionalLong(this XElement parent, XName name)
    {
        var text = parent.OptionalText(name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new EnrollmentFormatException($"<{name.LocalName}> in <{parent.Name.LocalName}> is not an integer: '{Clip(text)}'.");
    }

    public static byte[] Base64(string text, string what)
    {
        try
        {
            // Convert ignores the whitespace and line breaks Windows and the examples put around the value.
            return Convert.FromBase64String(text);
        }
        catch (FormatException ex)
        {
            throw new EnrollmentFormatException($"{what} is not valid base64.", ex);
        }
    }

    public static string Utf8(byte[] bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (ArgumentException ex)
        {
            throw new EnrollmentFormatException($"{what} is not valid UTF-8.", ex);
        }
    }

    // An attribute both unqualified (MS-MDE2 examples) and wsse-qualified (the Windows federated-enrolment example).
    public static string? SecurityAttribute(this XElement element, string localName) =>
        (string?)element.Attribute(localName) ?? (string?)element.Attribute(Wsse + localName);

    public static void RequireBase64Encoding(XElement token)
    {
        var encoding = token.SecurityAttribute("EncodingType")?.Trim();
        if (encoding is not null && !encoding.Equals(EnrollmentSoap.Base64BinaryEncodingType, StringComparison.OrdinalIgnoreCase))
        {
            throw new EnrollmentFormatException($"BinarySecurityToken EncodingType '{Clip(encoding)}' is not supported; expected {EnrollmentSoap.Base64BinaryEncodingType}.");
        }
    }

    public static EnrollmentFormatException Missing(XElement parent, XName name) =>
        new($"<{parent.Name.LocalName}> has no <{name.LocalName}> ({name.NamespaceName}).");

    public static string Clip(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "…");

    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        OmitXmlDeclaration = true,
        Indent = false,
    };

    public static byte[] ToBytes(XElement root)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, WriterSettings))
        {
            root.WriteTo(writer);
        }

        return stream.ToArray();
    }

    public static string ToText(XElement root)
    {
        var builder = new StringBuilder();
        using (var writer = XmlWriter.Create(builder, new XmlWriterSettings { OmitXmlDeclaration = true, Indent = false }))
        {
            root.WriteTo(writer);
        }

        return builder.ToString();
    }
}
