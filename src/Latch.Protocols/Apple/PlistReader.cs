using System.Globalization;
using System.Xml;

namespace Latch.Protocols.Apple;

// Strict, forward-only reader. The DOCTYPE is skipped, never fetched or expanded, so any entity
// reference is an undeclared entity and the document is refused.
internal static class PlistReader
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Ignore,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false, // whitespace inside <string> is content
        CloseInput = true,
    };

    public static PlistValue Read(byte[] buffer, int offset, int count)
    {
        if (count == 0)
        {
            throw new PlistFormatException("The body is empty; expected a plist.");
        }

        using var stream = new MemoryStream(buffer, offset, count, writable: false);
        try
        {
            // Create reads the first bytes already (the encoding, a byte-order mark): its errors are the document's too.
            using var reader = XmlReader.Create(stream, Settings);
            return ReadDocument(reader);
        }
        catch (XmlException ex)
        {
            throw new PlistFormatException($"Malformed XML: {ex.Message}", ex.LineNumber, ex.LinePosition, ex);
        }
        catch (ArgumentException ex)
        {
            // System.Xml's own reader fails this way on some malformed declarations (found by CodecFuzzTests: a UTF-8
            // byte-order mark inside <?xml version="1.0"?> makes it throw ArgumentOutOfRangeException), and on bytes
            // its decoder cannot read (DecoderFallbackException is an ArgumentException too).
            throw new PlistFormatException($"Malformed XML: the document cannot be read ({ex.GetType().Name}).", ex);
        }
    }

    private static PlistValue ReadDocument(XmlReader reader)
    {
        if (reader.MoveToContent() != XmlNodeType.Element || reader.Name != "plist")
        {
            throw Error(reader, $"The root element must be <plist>, not <{reader.Name}>.");
        }

        if (reader.IsEmptyElement)
        {
            throw Error(reader, "<plist> must hold exactly one value.");
        }

        reader.Read();
        SkipWhitespace(reader);
        if (reader.NodeType != XmlNodeType.Element)
        {
            throw Error(reader, "<plist> must hold exactly one value.");
        }

        var value = ReadValue(reader, 1);
        SkipWhitespace(reader);
        if (reader.NodeType != XmlNodeType.EndElement)
        {
            throw Error(reader, "<plist> must hold exactly one value.");
        }

        while (reader.Read())
        {
            if (reader.NodeType is not (XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace))
            {
                throw Error(reader, "Unexpected content after </plist>.");
            }
        }

        return value;
    }

    // On entry the reader is on a value's start element; on exit it is just past its end.
    private static PlistValue ReadValue(XmlReader reader, int depth)
    {
        if (reader.NodeType != XmlNodeType.Element)
        {
            throw Error(reader, $"Expected a value element, found {reader.NodeType}.");
        }

        if (depth > Plist.MaxDepth)
        {
            throw Error(reader, $"Nesting is deeper than {Plist.MaxDepth} levels.");
        }

        var info = (IXmlLineInfo)reader;
        int line = info.LineNumber, position = info.LinePosition;
        switch (reader.Name)
        {
            case "dict":
                return ReadDict(reader, depth);
            case "array":
                return ReadArray(reader, depth);
            case "string":
                return new PlistString(reader.ReadElementContentAsString());
            case "integer":
            {
                var text = reader.ReadElementContentAsString().Trim();
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? new PlistInteger(n)
                    : throw new PlistFormatException($"<integer> '{Clip(text)}' is not a 64-bit integer.", line, position);
            }

            case "real":
            {
                var text = reader.ReadElementContentAsString().Trim();
                return TryParseReal(text, out var d)
                    ? new PlistReal(d)
                    : throw new PlistFormatException($"<real> '{Clip(text)}' is not a number.", line, position);
            }

            case "true":
            case "false":
            {
                var isTrue = reader.Name == "true";
                if (reader.ReadElementContentAsString().Length != 0)
                {
                    throw new PlistFormatException($"<{(isTrue ? "true" : "false")}/> must be empty.", line, position);
                }

                return isTrue ? PlistBoolean.True : PlistBoolean.False;
            }

            case "date":
            {
                var text = reader.ReadElementContentAsString().Trim();
                return DateTimeOffset.TryParseExact(
                    text,
                    PlistWriter.DateFormat,
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                    out var date)
                    ? new PlistDate(date)
                    : throw new PlistFormatException($"<date> '{Clip(text)}' is not an ISO 8601 UTC date (yyyy-MM-ddTHH:mm:ssZ).", line, position);
            }

            case "data":
            {
                var text = reader.ReadElementContentAsString();
                try
                {
                    // FromBase64String skips the whitespace that wraps long <data> lines.
                    return new PlistData(Convert.FromBase64String(text));
                }
                catch (FormatException ex)
                {
                    throw new PlistFormatException("<data> is not valid base64.", line, position, ex);
                }
            }

            default:
                throw Error(reader, $"Unknown element <{reader.Name}>.");
        }
    }

    private static PlistDict ReadDict(XmlReader reader, int depth)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return PlistDict.Empty;
        }

        var entries = new List<KeyValuePair<string, PlistValue>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        reader.Read();
        while (true)
        {
            SkipWhitespace(reader);
            if (reader.NodeType == XmlNodeType.EndElement)
            {
                reader.Read();
                return new PlistDict(entries);
            }

            if (reader.NodeType != XmlNodeType.Element || reader.Name != "key")
            {
                throw Error(reader, $"Expected <key> in <dict>, found {Describe(reader)}.");
            }

            var info = (IXmlLineInfo)reader;
            int line = info.LineNumber, position = info.LinePosition;
            var key = reader.ReadElementContentAsString();
            if (!seen.Add(key))
            {
                throw new PlistFormatException($"Duplicate key '{Clip(key)}' in <dict>.", line, position);
            }

            SkipWhitespace(reader);
            if (reader.NodeType != XmlNodeType.Element || reader.Name == "key")
            {
                throw Error(reader, $"Key '{Clip(key)}' has no value.");
            }

            entries.Add(new(key, ReadValue(reader, depth + 1)));
        }
    }

    private static PlistArray ReadArray(XmlReader reader, int depth)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return new PlistArray([]);
        }

        var items = new List<PlistValue>();
        reader.Read();
        while (true)
        {
            SkipWhitespace(reader);
            if (reader.NodeType == XmlNodeType.EndElement)
            {
                reader.Read();
                return new PlistArray(items);
            }

            items.Add(ReadValue(reader, depth + 1));
        }
    }

    private static bool TryParseReal(string text, out double value)
    {
        switch (text.ToUpperInvariant())
        {
            case "NAN":
                value = double.NaN;
                return true;
            case "INF" or "+INF" or "INFINITY" or "+INFINITY":
                value = double.PositiveInfinity;
                return true;
            case "-INF" or "-INFINITY":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
                    && double.IsFinite(value);
        }
    }

    private static void SkipWhitespace(XmlReader reader)
    {
        while (reader.NodeType is XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
        {
            reader.Read();
        }
    }

    private static string Describe(XmlReader reader) => reader.NodeType switch
    {
        XmlNodeType.Element => $"<{reader.Name}>",
        XmlNodeType.EndElement => $"</{reader.Name}>",
        XmlNodeType.None => "end of document",
        _ => reader.NodeType.ToString(),
    };

    private static string Clip(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");

    private static PlistFormatException Error(XmlReader reader, string message)
    {
        var info = (IXmlLineInfo)reader;
        return new PlistFormatException(message, info.LineNumber, info.LinePosition);
    }
}
