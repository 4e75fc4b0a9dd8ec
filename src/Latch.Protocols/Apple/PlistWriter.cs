using System.Globalization;
using System.Text;

namespace Latch.Protocols.Apple;

// Writes the document Apple's own tools write: UTF-8, the standard DOCTYPE, tab indentation.
internal static class PlistWriter
{
    public const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    private const string Header =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
        "<plist version=\"1.0\">\n";

    public static byte[] Write(PlistValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = new StringBuilder(Header, 512);
        WriteValue(text, value, 0);
        text.Append("</plist>\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void WriteValue(StringBuilder text, PlistValue value, int depth)
    {
        if (depth >= Plist.MaxDepth)
        {
            throw new ArgumentException($"The value nests deeper than {Plist.MaxDepth} levels.", nameof(value));
        }

        text.Append('\t', depth);
        switch (value)
        {
            case PlistDict dict when dict.Count == 0:
                text.Append("<dict/>\n");
                break;
            case PlistDict dict:
                text.Append("<dict>\n");
                foreach (var (key, item) in dict.Entries)
                {
                    text.Append('\t', depth + 1).Append("<key>");
                    AppendEscaped(text, key);
                    text.Append("</key>\n");
                    WriteValue(text, item, depth + 1);
                }

                text.Append('\t', depth).Append("</dict>\n");
                break;
            case PlistArray array when array.Items.Count == 0:
                text.Append("<array/>\n");
                break;
            case PlistArray array:
                text.Append("<array>\n");
                foreach (var item in array.Items)
                {
                    WriteValue(text, item, depth + 1);
                }

                text.Append('\t', depth).Append("</array>\n");
                break;
            case PlistString s:
                text.Append("<string>");
                AppendEscaped(text, s.Value);
                text.Append("</string>\n");
                break;
            case PlistInteger i:
                text.Append("<integer>").Append(i.Value.ToString(CultureInfo.InvariantCulture)).Append("</integer>\n");
                break;
            case PlistReal r:
                text.Append("<real>").Append(FormatReal(r.Value)).Append("</real>\n");
                break;
            case PlistBoolean b:
                text.Append(b.Value ? "<true/>\n" : "<false/>\n");
                break;
            case PlistDate d:
                text.Append("<date>").Append(d.Value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture)).Append("</date>\n");
                break;
            case PlistData data:
                text.Append("<data>").Append(Convert.ToBase64String(data.Value.Span)).Append("</data>\n");
                break;
            default:
                throw new ArgumentException($"Unknown plist value {value.GetType().Name}.", nameof(value));
        }
    }

    private static string FormatReal(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "+infinity",
        double.NegativeInfinity => "-infinity",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    // XML 1.0 cannot carry most control characters at all, so refuse them rather than write a
    // document no reader accepts. CR is escaped because readers normalise a literal CR to LF.
    private static void AppendEscaped(StringBuilder text, string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&':
                    text.Append("&amp;");
                    break;
                case '<':
                    text.Append("&lt;");
                    break;
                case '>':
                    text.Append("&gt;");
                    break;
                case '\r':
                    text.Append("&#xD;");
                    break;
                case '\t' or '\n':
                    text.Append(c);
                    break;
                case < ' ' or '\uFFFE' or '\uFFFF':
                    throw new ArgumentException($"Character U+{(int)c:X4} cannot be written in an XML plist.", nameof(value));
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        text.Append(c).Append(value[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        throw new ArgumentException("A string holds an unpaired surrogate.", nameof(value));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }
    }
}
