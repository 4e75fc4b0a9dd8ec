using System.Text;
using System.Xml;

namespace Latch.Protocols.Windows;

// Writes compact SyncML the way a Windows client does: the SyncML namespace on the root, syncml:metinf declared on
// each Meta child, elements in the order of the OMA RepPro DTD (with MS-MDM's Cmd in Results). Hand-written over a
// StringBuilder: the server encodes a reply for every message it receives.
internal sealed class SyncMlWriter
{
    private static readonly XmlReaderSettings FragmentSettings = new()
    {
        ConformanceLevel = ConformanceLevel.Fragment,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
    };

    [ThreadStatic]
    private static StringBuilder? cached;

    private readonly StringBuilder text;
    private int depth;

    private SyncMlWriter(StringBuilder text) => this.text = text;

    public static byte[] Write(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = cached ?? new StringBuilder(1024);
        cached = null;
        try
        {
            new SyncMlWriter(text).WriteMessage(message);
            return Encoding.UTF8.GetBytes(text.ToString());
        }
        finally
        {
            if (text.Capacity <= 64 * 1024)
            {
                text.Clear();
                cached = text;
            }
        }
    }

    // Escapes character data: &, < and > (so "]]>" cannot appear); CR as a reference, since a parser turns a literal
    // CR into LF. A character XML 1.0 cannot carry at all is refused, naming the field.
    public static void AppendEscaped(StringBuilder text, string value, string field, bool attribute = false)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            string? escape;
            switch (c)
            {
                case '&': escape = "&amp;"; break;
                case '<': escape = "&lt;"; break;
                case '>': escape = "&gt;"; break;
                case '\r': escape = "&#xD;"; break;
                case '"' when attribute: escape = "&quot;"; break;
                case '\n' when attribute: escape = "&#xA;"; break;
                case '\t' when attribute: escape = "&#x9;"; break;
                case '\n' or '\t': continue;
                case < ' ' or '\uFFFE' or '\uFFFF':
                    throw new ArgumentException($"{field} holds U+{(int)c:X4}, which XML cannot carry.");
                case >= '\uD800' and <= '\uDBFF' when i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]):
                    i++;
                    continue;
                case >= '\uD800' and <= '\uDFFF':
                    throw new ArgumentException($"{field} holds a lone surrogate U+{(int)c:X4}, which XML cannot carry.");
                default: continue;
            }

            text.Append(value, start, i - start).Append(escape);
            start = i + 1;
        }

        text.Append(value, start, value.Length - start);
    }

    private void WriteMessage(SyncMessage message)
    {
        var header = message.Header ?? throw new ArgumentException("The message has no Header.", nameof(message));
        var commands = message.Commands ?? throw new ArgumentException("The message has no Commands list.", nameof(message));
        Open("SyncML").Append(" xmlns=\"").Append(SyncMessage.Namespace).Append("\">");
        WriteHeader(header);
        Open("SyncBody");
        if (commands.Any(HasOriginalError))
        {
            // MS-MDM §2.2.5.1: the prefix is declared on SyncBody.
            text.Append(" xmlns:msft=\"").Append(SyncMessage.MsftNamespace).Append('"');
        }

        text.Append('>');
        foreach (var command in commands)
        {
            WriteCommand(command);
        }

        if (message.Final)
        {
            Open("Final").Append("/>");
            depth--;
        }

        Close("SyncBody");
        Close("SyncML");
    }

    private void WriteHeader(SyncHeader header)
    {
        OpenElement("SyncHdr");
        Element("VerDTD", Required(header.VerDtd, "SyncHdr/VerDTD"));
        Element("VerProto", Required(header.VerProto, "SyncHdr/VerProto"));
        Element("SessionID", Required(header.SessionId, "SyncHdr/SessionID"));
        Element("MsgID", Required(header.MsgId, "SyncHdr/MsgID"));
        Location("Target", Required(header.TargetLocUri, "SyncHdr/Target/LocURI"), null);
        Location("Source", Required(header.SourceLocUri, "SyncHdr/Source/LocURI"), header.SourceLocName);
        Cred("Cred", header.Cred);
        Meta(header.Meta);
        Close("SyncHdr");
    }

    private void WriteCommand(SyncCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var name = command.Name;
        OpenElement(name);
        Element("CmdID", Required(command.CmdId, $"{name}/CmdID"));
        switch (command)
        {
            case SyncStatus status:
                Element("MsgRef", Required(status.MsgRef, "Status/MsgRef"));
                Element("CmdRef", Required(status.CmdRef, "Status/CmdRef"));
                Element("Cmd", Required(status.Cmd, "Status/Cmd"));
                Elements("TargetRef", status.TargetRefs);
                Elements("SourceRef", status.SourceRefs);
                Cred("Chal", status.Chal);
                Data(Required(status.Data, "Status/Data"), isXml: false, status.OriginalError);
                Items(status.Items);
                break;
            case SyncResults results:
                OptionalElement("MsgRef", results.MsgRef);
                Element("CmdRef", Required(results.CmdRef, "Results/CmdRef"));
                OptionalElement("Cmd", results.Cmd);
                Meta(results.Meta);
                Elements("TargetRef", results.TargetRefs);
                Elements("SourceRef", results.SourceRefs);
                Items(results.Items);
                break;
            case SyncItemCommand items:
                Meta(items.Meta);
                Items(items.Items);
                break;
            case SyncAlert alert:
                Element("Data", Required(alert.Data, "Alert/Data"));
                Items(alert.Items);
                break;
            case SyncAtomic atomic:
                Meta(atomic.Meta);
                Commands(atomic.Commands);
                break;
            case SyncSequence sequence:
                Meta(sequence.Meta);
                Commands(sequence.Commands);
                break;
            default:
                throw new ArgumentException($"{command.GetType().Name} is not a SyncML command this codec writes.", nameof(command));
        }

        Close(name);
    }

    private void Commands(IReadOnlyList<SyncCommand>? commands)
    {
        foreach (var command in commands ?? [])
        {
            WriteCommand(command);
        }
    }

    private void Items(IReadOnlyList<SyncItem>? items)
    {
        foreach (var item in items ?? [])
        {
            ArgumentNullException.ThrowIfNull(item);
            OpenElement("Item");
            if (item.Target is not null)
            {
                Location("Target", item.Target, null);
            }

            if (item.Source is not null)
            {
                Location("Source", item.Source, null);
            }

            Meta(item.Meta);
            if (item.Data is not null || item.OriginalError is not null)
            {
                Data(item.Data ?? "", item.DataIsXml, item.OriginalError);
            }

            Close("Item");
        }
    }

    private void Data(string data, bool isXml, string? originalError)
    {
        Open("Data");
        if (originalError is not null)
        {
            text.Append(" msft:originalerror=\"");
            AppendEscaped(text, originalError, "Data/@msft:originalerror", attribute: true);
            text.Append('"');
        }

        text.Append('>');
        if (isXml)
        {
            CheckFragment(data);
            text.Append(data);
        }
        else
        {
            AppendEscaped(text, data, "Data");
        }

        Close("Data");
    }

    // Markup is written verbatim, so it must be a well-formed fragment: otherwise the whole message would not be.
    private static void CheckFragment(string markup)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(markup), FragmentSettings);
            while (reader.Read())
            {
            }
        }
        catch (XmlException ex)
        {
            throw new ArgumentException($"Item Data marked as XML is not a well-formed fragment: {ex.Message}", ex);
        }
    }

    private void Location(string element, string uri, string? name)
    {
        OpenElement(element);
        Element("LocURI", uri);
        OptionalElement("LocName", name);
        Close(element);
    }

    private void Cred(string element, SyncCred? cred)
    {
        if (cred is null)
        {
            return;
        }

        OpenElement(element);
        Meta(cred.Meta);
        // Chal is (Meta) only in OMA RepPro; Cred always carries its Data.
        if (element == "Cred" || !string.IsNullOrEmpty(cred.Data))
        {
            Element("Data", cred.Data ?? throw new ArgumentException($"{element} has no Data."));
        }

        Close(element);
    }

    private void Meta(SyncMeta? meta)
    {
        if (meta is null)
        {
            return;
        }

        OpenElement("Meta");
        MetInf("Format", meta.Format);
        MetInf("Type", meta.Type);
        MetInf("Size", meta.Size);
        MetInf("NextNonce", meta.NextNonce);
        MetInf("MaxMsgSize", meta.MaxMsgSize);
        MetInf("MaxObjSize", meta.MaxObjSize);
        Close("Meta");
    }

    private void MetInf(string element, string? value)
    {
        if (value is null)
        {
            return;
        }

        Open(element).Append(" xmlns=\"").Append(SyncMessage.MetInfNamespace).Append("\">");
        AppendEscaped(text, value, $"Meta/{element}");
        Close(element);
    }

    private void Elements(string element, IReadOnlyList<string>? values)
    {
        foreach (var value in values ?? [])
        {
            Element(element, value ?? throw new ArgumentException($"A {element} is null."));
        }
    }

    private void OptionalElement(string element, string? value)
    {
        if (value is not null)
        {
            Element(element, value);
        }
    }

    private void Element(string element, string value)
    {
        OpenElement(element);
        AppendEscaped(text, value, element);
        Close(element);
    }

    private void OpenElement(string element) => Open(element).Append('>');

    // Starts a tag without closing it, so attributes can follow.
    private StringBuilder Open(string element)
    {
        if (depth >= SyncMessage.MaxDepth)
        {
            throw new ArgumentException($"The message nests deeper than {SyncMessage.MaxDepth} levels, which the decoder refuses.");
        }

        depth++;
        return text.Append('<').Append(element);
    }

    private void Close(string element)
    {
        depth--;
        text.Append("</").Append(element).Append('>');
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{field} is required.") : value;

    private static bool HasOriginalError(SyncCommand command) => command switch
    {
        SyncStatus status => status.OriginalError is not null || status.Items.Any(i => i.OriginalError is not null),
        SyncItemCommand items => items.Items.Any(i => i.OriginalError is not null),
        SyncAlert alert => alert.Items.Any(i => i.OriginalError is not null),
        SyncAtomic atomic => atomic.Commands.Any(HasOriginalError),
        SyncSequence sequence => sequence.Commands.Any(HasOriginalError),
        _ => false,
    };
}
