using System.Text;
using System.Xml;

namespace Latch.Protocols.Windows;

// One forward pass over an XmlReader, no DOM: the server decodes every message a device sends. Each Read*
// method starts on its element's start tag and leaves the reader just past its end tag.
// MS-MDM §2.2.2 says a message follows the DTD's element order; inside a command the decoder accepts any order
// (only the order of commands carries meaning), and the encoder writes the DTD's order.
internal static class SyncMlReader
{
    private static readonly XmlReaderSettings Settings = new()
    {
        // A DOCTYPE is refused outright: no entity can be declared, so none can be expanded (billion laughs) or fetched.
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = SyncMessage.MaxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = false, // whitespace inside <Data> is content; structure skips it itself
        CloseInput = true,
    };

    public static SyncMessage Read(byte[] buffer, int offset, int count, ReadOnlyMemory<byte> raw)
    {
        if (count == 0)
        {
            throw new SyncMlFormatException("The body is empty; expected a SyncML message.");
        }

        using var stream = new MemoryStream(buffer, offset, count, writable: false);
        try
        {
            // Create reads the first bytes already (encoding, byte-order mark): its errors are the document's too.
            using var reader = XmlReader.Create(stream, Settings);
            return ReadDocument(reader, raw);
        }
        catch (XmlException ex)
        {
            throw new SyncMlFormatException($"Malformed XML: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            // System.Xml fails this way on bytes its decoder cannot read (DecoderFallbackException is an
            // ArgumentException) and on some malformed declarations.
            throw new SyncMlFormatException($"Malformed XML: the document cannot be read ({ex.GetType().Name}: {ex.Message}).", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new SyncMlFormatException($"Malformed XML: the document cannot be read ({ex.Message}).", ex);
        }
    }

    private static SyncMessage ReadDocument(XmlReader reader, ReadOnlyMemory<byte> raw)
    {
        if (reader.MoveToContent() != XmlNodeType.Element)
        {
            throw Error(reader, "The body holds no element; expected <SyncML>.");
        }

        if (reader.LocalName != "SyncML")
        {
            throw Error(reader, $"The root element must be <SyncML>, not <{reader.Name}>.");
        }

        if (!IsSyncMlNamespace(reader.NamespaceURI) || reader.NamespaceURI.Length == 0)
        {
            throw Error(reader, $"<SyncML> must be in namespace '{SyncMessage.Namespace}', not '{Clip(reader.NamespaceURI)}'.");
        }

        SyncHeader? header = null;
        List<SyncCommand>? commands = null;
        var final = false;
        var empty = reader.IsEmptyElement;
        reader.Read();
        if (!empty)
        {
            while (NextChild(reader, "SyncML"))
            {
                switch (OwnName(reader))
                {
                    case "SyncHdr" when header is null && commands is null:
                        header = ReadHeader(reader);
                        break;
                    case "SyncBody" when header is not null && commands is null:
                        commands = ReadBody(reader, out final);
                        break;
                    default:
                        throw Error(reader, $"Unexpected <{reader.Name}> in <SyncML>; expected <SyncHdr> then <SyncBody>.");
                }
            }
        }

        if (header is null)
        {
            throw Missing(reader, "SyncHdr", "SyncML");
        }

        if (commands is null)
        {
            throw Missing(reader, "SyncBody", "SyncML");
        }

        // Read to the end so that anything after </SyncML> is refused by the reader as a second root.
        while (reader.Read())
        {
        }

        return new SyncMessage { Header = header, Commands = commands, Final = final, Raw = raw };
    }

    private static SyncHeader ReadHeader(XmlReader reader)
    {
        string? verDtd = null, verProto = null, sessionId = null, msgId = null;
        Location? target = null, source = null;
        SyncCred? cred = null;
        SyncMeta? meta = null;
        foreach (var name in Children(reader, "SyncHdr"))
        {
            switch (name)
            {
                case "VerDTD":
                    verDtd = Once(reader, verDtd, "SyncHdr", ReadTrimmed);
                    break;
                case "VerProto":
                    verProto = Once(reader, verProto, "SyncHdr", ReadTrimmed);
                    break;
                case "SessionID":
                    sessionId = Once(reader, sessionId, "SyncHdr", ReadTrimmed);
                    break;
                case "MsgID":
                    msgId = Once(reader, msgId, "SyncHdr", ReadTrimmed);
                    break;
                case "Target":
                    target = Once(reader, target, "SyncHdr", ReadLocation);
                    break;
                case "Source":
                    source = Once(reader, source, "SyncHdr", ReadLocation);
                    break;
                case "Cred":
                    cred = Once(reader, cred, "SyncHdr", ReadCred);
                    break;
                case "Meta":
                    meta = Once(reader, meta, "SyncHdr", ReadMeta);
                    break;
                default:
                    Skip(reader); // RespURI, NoResp, and anything newer
                    break;
            }
        }

        return new SyncHeader
        {
            VerDtd = NonEmpty(reader, verDtd, "VerDTD", "SyncHdr"),
            VerProto = NonEmpty(reader, verProto, "VerProto", "SyncHdr"),
            SessionId = NonEmpty(reader, sessionId, "SessionID", "SyncHdr"),
            MsgId = NonEmpty(reader, msgId, "MsgID", "SyncHdr"),
            TargetLocUri = NonEmpty(reader, target?.Uri, "Target/LocURI", "SyncHdr"),
            SourceLocUri = NonEmpty(reader, source?.Uri, "Source/LocURI", "SyncHdr"),
            SourceLocName = source?.Name,
            Cred = cred,
            Meta = meta,
        };
    }

    private static List<SyncCommand> ReadBody(XmlReader reader, out bool final)
    {
        var commands = new List<SyncCommand>();
        final = false;
        var empty = reader.IsEmptyElement;
        reader.Read();
        if (!empty)
        {
            while (NextChild(reader, "SyncBody"))
            {
                if (OwnName(reader) == "Final")
                {
                    final = true;
                    Skip(reader);
                    continue;
                }

                commands.Add(ReadCommand(reader, "SyncBody"));
            }
        }

        return commands;
    }

    private static SyncCommand ReadCommand(XmlReader reader, string parent) => OwnName(reader) switch
    {
        "Status" => ReadStatus(reader),
        "Results" => ReadResults(reader),
        "Alert" => ReadAlert(reader),
        "Get" => ReadItemCommand(reader, "Get", static (id, meta, items) => new SyncGet { CmdId = id, Meta = meta, Items = items }),
        "Replace" => ReadItemCommand(reader, "Replace", static (id, meta, items) => new SyncReplace { CmdId = id, Meta = meta, Items = items }),
        "Add" => ReadItemCommand(reader, "Add", static (id, meta, items) => new SyncAdd { CmdId = id, Meta = meta, Items = items }),
        "Delete" => ReadItemCommand(reader, "Delete", static (id, meta, items) => new SyncDelete { CmdId = id, Meta = meta, Items = items }),
        "Exec" => ReadItemCommand(reader, "Exec", static (id, meta, items) => new SyncExec { CmdId = id, Meta = meta, Items = items }),
        "Atomic" => ReadContainer(reader, "Atomic", static (id, meta, inner) => new SyncAtomic { CmdId = id, Meta = meta, Commands = inner }),
        "Sequence" => ReadContainer(reader, "Sequence", static (id, meta, inner) => new SyncSequence { CmdId = id, Meta = meta, Commands = inner }),
        _ => throw Error(reader, $"Unknown command <{Describe(reader)}> in <{parent}>."),
    };

    private static SyncStatus ReadStatus(XmlReader reader)
    {
        string? cmdId = null, msgRef = null, cmdRef = null, cmd = null, data = null, originalError = null;
        List<string>? targetRefs = null, sourceRefs = null;
        List<SyncItem>? items = null;
        SyncCred? chal = null;
        foreach (var name in Children(reader, "Status"))
        {
            switch (name)
            {
                case "CmdID":
                    cmdId = Once(reader, cmdId, "Status", ReadTrimmed);
                    break;
                case "MsgRef":
                    msgRef = Once(reader, msgRef, "Status", ReadTrimmed);
                    break;
                case "CmdRef":
                    cmdRef = Once(reader, cmdRef, "Status", ReadTrimmed);
                    break;
                case "Cmd":
                    cmd = Once(reader, cmd, "Status", ReadTrimmed);
                    break;
                case "TargetRef":
                    (targetRefs ??= []).Add(ReadTrimmed(reader));
                    break;
                case "SourceRef":
                    (sourceRefs ??= []).Add(ReadTrimmed(reader));
                    break;
                case "Chal":
                    chal = Once(reader, chal, "Status", ReadCred);
                    break;
                case "Data":
                {
                    EnsureFirst(reader, data, "Status");

                    originalError = reader.GetAttribute("originalerror", SyncMessage.MsftNamespace);
                    data = ReadText(reader);
                    break;
                }

                case "Item":
                    (items ??= []).Add(ReadItem(reader));
                    break;
                default:
                    Skip(reader); // Cred, and anything newer
                    break;
            }
        }

        return new SyncStatus
        {
            CmdId = NonEmpty(reader, cmdId, "CmdID", "Status"),
            MsgRef = NonEmpty(reader, msgRef, "MsgRef", "Status"),
            CmdRef = NonEmpty(reader, cmdRef, "CmdRef", "Status"),
            Cmd = NonEmpty(reader, cmd, "Cmd", "Status"),
            Data = NonEmpty(reader, data, "Data (the status code)", "Status"),
            OriginalError = originalError,
            TargetRefs = targetRefs ?? (IReadOnlyList<string>)[],
            SourceRefs = sourceRefs ?? (IReadOnlyList<string>)[],
            Chal = chal,
            Items = items ?? (IReadOnlyList<SyncItem>)[],
        };
    }

    private static SyncResults ReadResults(XmlReader reader)
    {
        string? cmdId = null, msgRef = null, cmdRef = null, cmd = null;
        List<string>? targetRefs = null, sourceRefs = null;
        List<SyncItem>? items = null;
        SyncMeta? meta = null;
        foreach (var name in Children(reader, "Results"))
        {
            switch (name)
            {
                case "CmdID":
                    cmdId = Once(reader, cmdId, "Results", ReadTrimmed);
                    break;
                case "MsgRef":
                    msgRef = Once(reader, msgRef, "Results", ReadTrimmed);
                    break;
                case "CmdRef":
                    cmdRef = Once(reader, cmdRef, "Results", ReadTrimmed);
                    break;
                case "Cmd":
                    cmd = Once(reader, cmd, "Results", ReadTrimmed);
                    break;
                case "Meta":
                    meta = Once(reader, meta, "Results", ReadMeta);
                    break;
                case "TargetRef":
                    (targetRefs ??= []).Add(ReadTrimmed(reader));
                    break;
                case "SourceRef":
                    (sourceRefs ??= []).Add(ReadTrimmed(reader));
                    break;
                case "Item":
                    (items ??= []).Add(ReadItem(reader));
                    break;
                default:
                    Skip(reader);
                    break;
            }
        }

        return new SyncResults
        {
            CmdId = NonEmpty(reader, cmdId, "CmdID", "Results"),
            MsgRef = msgRef,
            CmdRef = NonEmpty(reader, cmdRef, "CmdRef", "Results"),
            Cmd = cmd,
            Meta = meta,
            TargetRefs = targetRefs ?? (IReadOnlyList<string>)[],
            SourceRefs = sourceRefs ?? (IReadOnlyList<string>)[],
            Items = items ?? (IReadOnlyList<SyncItem>)[],
        };
    }

    private static SyncAlert ReadAlert(XmlReader reader)
    {
        string? cmdId = null, data = null;
        List<SyncItem>? items = null;
        foreach (var name in Children(reader, "Alert"))
        {
            switch (name)
            {
                case "CmdID":
                    cmdId = Once(reader, cmdId, "Alert", ReadTrimmed);
                    break;
                case "Data":
                    data = Once(reader, data, "Alert", ReadTrimmed);
                    break;
                case "Item":
                    (items ??= []).Add(ReadItem(reader));
                    break;
                default:
                    Skip(reader); // NoResp, Cred, Correlator (MS-MDM does not support it)
                    break;
            }
        }

        return new SyncAlert
        {
            CmdId = NonEmpty(reader, cmdId, "CmdID", "Alert"),
            Data = NonEmpty(reader, data, "Data (the alert code)", "Alert"),
            Items = items ?? (IReadOnlyList<SyncItem>)[],
        };
    }

    private static SyncCommand ReadItemCommand(
        XmlReader reader, string element, Func<string, SyncMeta?, IReadOnlyList<SyncItem>, SyncCommand> create)
    {
        string? cmdId = null;
        SyncMeta? meta = null;
        List<SyncItem>? items = null;
        foreach (var name in Children(reader, element))
        {
            switch (name)
            {
                case "CmdID":
                    cmdId = Once(reader, cmdId, element, ReadTrimmed);
                    break;
                case "Meta":
                    meta = Once(reader, meta, element, ReadMeta);
                    break;
                case "Item":
                    (items ??= []).Add(ReadItem(reader));
                    break;
                default:
                    Skip(reader); // NoResp, Cred
                    break;
            }
        }

        return create(NonEmpty(reader, cmdId, "CmdID", element), meta, items ?? (IReadOnlyList<SyncItem>)[]);
    }

    private static SyncCommand ReadContainer(
        XmlReader reader, string element, Func<string, SyncMeta?, IReadOnlyList<SyncCommand>, SyncCommand> create)
    {
        string? cmdId = null;
        SyncMeta? meta = null;
        var inner = new List<SyncCommand>();
        var empty = reader.IsEmptyElement;
        reader.Read();
        while (!empty && NextChild(reader, element))
        {
            switch (OwnName(reader))
            {
                case "CmdID":
                    cmdId = Once(reader, cmdId, element, ReadTrimmed);
                    break;
                case "Meta":
                    meta = Once(reader, meta, element, ReadMeta);
                    break;
                case "NoResp":
                    Skip(reader);
                    break;
                default:
                    inner.Add(ReadCommand(reader, element));
                    break;
            }
        }

        return create(NonEmpty(reader, cmdId, "CmdID", element), meta, inner);
    }

    private static SyncItem ReadItem(XmlReader reader)
    {
        string? data = null, originalError = null;
        Location? target = null, source = null;
        SyncMeta? meta = null;
        var isXml = false;
        foreach (var name in Children(reader, "Item"))
        {
            switch (name)
            {
                case "Target":
                    target = Once(reader, target, "Item", ReadLocation);
                    break;
                case "Source":
                    source = Once(reader, source, "Item", ReadLocation);
                    break;
                case "Meta":
                    meta = Once(reader, meta, "Item", ReadMeta);
                    break;
                case "Data":
                {
                    EnsureFirst(reader, data, "Item");

                    originalError = reader.GetAttribute("originalerror", SyncMessage.MsftNamespace);
                    data = ReadData(reader, out isXml);
                    break;
                }

                default:
                    Skip(reader); // TargetParent, SourceParent, MoreData, and anything newer
                    break;
            }
        }

        return new SyncItem { Target = target?.Uri, Source = source?.Uri, Meta = meta, Data = data, DataIsXml = isXml, OriginalError = originalError };
    }

    // Target or Source: (LocURI, LocName?); a Filter or anything newer is skipped.
    private static Location ReadLocation(XmlReader reader)
    {
        var element = reader.LocalName;
        string? uri = null, locName = null;
        foreach (var name in Children(reader, element))
        {
            switch (name)
            {
                case "LocURI":
                    uri = Once(reader, uri, element, ReadTrimmed);
                    break;
                case "LocName":
                    locName = Once(reader, locName, element, ReadText);
                    break;
                default:
                    Skip(reader);
                    break;
            }
        }

        return new Location(uri ?? throw Missing(reader, "LocURI", element), locName);
    }

    private static SyncCred ReadCred(XmlReader reader)
    {
        var element = reader.LocalName;
        SyncMeta? meta = null;
        string? data = null;
        foreach (var name in Children(reader, element))
        {
            switch (name)
            {
                case "Meta":
                    meta = Once(reader, meta, element, ReadMeta);
                    break;
                case "Data":
                    data = Once(reader, data, element, ReadText);
                    break;
                default:
                    Skip(reader);
                    break;
            }
        }

        // Chal is (Meta) only; Cred must carry its credential.
        return element == "Chal"
            ? new SyncCred(meta, data ?? "")
            : new SyncCred(meta, data ?? throw Missing(reader, "Data", element));
    }

    private static SyncMeta ReadMeta(XmlReader reader)
    {
        string? format = null, type = null, maxMsgSize = null, maxObjSize = null, size = null, nextNonce = null;
        var empty = reader.IsEmptyElement;
        reader.Read();
        if (!empty)
        {
            while (NextChild(reader, "Meta"))
            {
                // Windows puts each child in syncml:metinf; others leave them in the SyncML namespace or in none.
                var ns = reader.NamespaceURI;
                if (!IsSyncMlNamespace(ns) && !string.Equals(ns, SyncMessage.MetInfNamespace, StringComparison.OrdinalIgnoreCase))
                {
                    Skip(reader);
                    continue;
                }

                switch (reader.LocalName)
                {
                    case "Format":
                        format = Once(reader, format, "Meta", ReadTrimmed);
                        break;
                    case "Type":
                        type = Once(reader, type, "Meta", ReadTrimmed);
                        break;
                    case "MaxMsgSize":
                        maxMsgSize = Once(reader, maxMsgSize, "Meta", ReadTrimmed);
                        break;
                    case "MaxObjSize":
                        maxObjSize = Once(reader, maxObjSize, "Meta", ReadTrimmed);
                        break;
                    case "Size":
                        size = Once(reader, size, "Meta", ReadTrimmed);
                        break;
                    case "NextNonce":
                        nextNonce = Once(reader, nextNonce, "Meta", ReadTrimmed);
                        break;
                    default:
                        Skip(reader); // Mark, Version, Anchor, EMI, Mem, ...
                        break;
                }
            }
        }

        return new SyncMeta { Format = format, Type = type, MaxMsgSize = maxMsgSize, MaxObjSize = maxObjSize, Size = size, NextNonce = nextNonce };
    }

    // Item's Data: text, or markup kept as its inner XML (MS-MDM §2.2.5.1 allows both).
    private static string ReadData(XmlReader reader, out bool isXml) => ReadContent(reader, markupAllowed: true, out isXml);

    // A text-only element: its text as sent (entities and CDATA resolved); markup inside is refused.
    private static string ReadText(XmlReader reader) => ReadContent(reader, markupAllowed: false, out _);

    private static string ReadContent(XmlReader reader, bool markupAllowed, out bool isXml)
    {
        isXml = false;
        var element = reader.LocalName;
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return "";
        }

        reader.Read();
        string? single = null;
        StringBuilder? text = null;
        StringBuilder? markup = null;
        while (true)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    if (markup is not null)
                    {
                        SyncMlWriter.AppendEscaped(markup, reader.Value, element);
                    }
                    else if (single is null && text is null)
                    {
                        single = reader.Value;
                    }
                    else
                    {
                        (text ??= new StringBuilder(single)).Append(reader.Value);
                        single = null;
                    }

                    reader.Read();
                    break;
                case XmlNodeType.Element when !markupAllowed:
                    throw Error(reader, $"<{element}> must hold text, not the element <{reader.Name}>.");
                case XmlNodeType.Element:
                    CheckDepth(reader);
                    if (markup is null)
                    {
                        markup = new StringBuilder();
                        SyncMlWriter.AppendEscaped(markup, text?.ToString() ?? single ?? "", element);
                        isXml = true;
                    }

                    markup.Append(reader.ReadOuterXml());
                    break;
                case XmlNodeType.EndElement:
                    reader.Read();
                    return markup?.ToString() ?? text?.ToString() ?? single ?? "";
                case XmlNodeType.None:
                    throw Error(reader, $"The document ends inside <{element}>.");
                default:
                    reader.Read();
                    break;
            }
        }
    }

    // Identifiers and codes: surrounding whitespace is layout (RemoteLock's documented LocURIs end with a space).
    private static string ReadTrimmed(XmlReader reader) => ReadText(reader).Trim();

    // Iterates the child elements of the element the reader is on, yielding each one's local name with the reader on
    // it; the caller must consume that child. Children outside the SyncML namespace are skipped here.
    private static IEnumerable<string> Children(XmlReader reader, string element)
    {
        var empty = reader.IsEmptyElement;
        reader.Read();
        if (empty)
        {
            yield break;
        }

        while (NextChild(reader, element))
        {
            if (!IsSyncMlNamespace(reader.NamespaceURI))
            {
                Skip(reader);
                continue;
            }

            yield return reader.LocalName;
        }
    }

    // Moves to the next child element (true) or past the parent's end tag (false), skipping whitespace.
    private static bool NextChild(XmlReader reader, string parent)
    {
        while (true)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    CheckDepth(reader);
                    return true;
                case XmlNodeType.EndElement:
                    reader.Read();
                    return false;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                    throw Error(reader, $"Unexpected text '{Clip(reader.Value.Trim())}' in <{parent}>.");
                case XmlNodeType.None:
                    throw Error(reader, $"The document ends inside <{parent}>.");
                default:
                    reader.Read(); // whitespace
                    break;
            }
        }
    }

    // Skips an element and its subtree, holding the depth bound (XmlReader.Skip would not).
    private static void Skip(XmlReader reader)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return;
        }

        var depth = reader.Depth;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                CheckDepth(reader);
            }
            else if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth)
            {
                reader.Read();
                return;
            }
        }

        throw Error(reader, "The document ends inside an element.");
    }

    private static void CheckDepth(XmlReader reader)
    {
        if (reader.Depth >= SyncMessage.MaxDepth)
        {
            throw Error(reader, $"Elements nest deeper than {SyncMessage.MaxDepth} levels.");
        }
    }

    // The local name of an element in the SyncML namespace, or null for a foreign element.
    private static string? OwnName(XmlReader reader) => IsSyncMlNamespace(reader.NamespaceURI) ? reader.LocalName : null;

    // Devices write SYNCML:SYNCML1.2, documentation sometimes syncml:syncml1.2. An element with no namespace at all
    // (xmlns="") counts too, for the children of an otherwise namespaced document.
    private static bool IsSyncMlNamespace(string ns) =>
        ns.Length == 0 || string.Equals(ns, SyncMessage.Namespace, StringComparison.OrdinalIgnoreCase);

    // Reads a child that may occur once; a second one is refused rather than silently winning.
    private static T Once<T>(XmlReader reader, T? current, string parent, Func<XmlReader, T> read)
        where T : class =>
        current is null ? read(reader) : throw Error(reader, $"<{parent}> holds more than one <{reader.LocalName}>.");

    private static void EnsureFirst(XmlReader reader, string? current, string parent)
    {
        if (current is not null)
        {
            throw Error(reader, $"<{parent}> holds more than one <{reader.LocalName}>.");
        }
    }

    private static string NonEmpty(XmlReader reader, string? value, string element, string parent) =>
        value switch
        {
            null => throw Missing(reader, element, parent),
            "" => throw Error(reader, $"<{parent}> has an empty <{element}>."),
            _ => value,
        };

    private static SyncMlFormatException Missing(XmlReader reader, string element, string parent) =>
        Error(reader, $"<{parent}> has no <{element}>.");

    private static string Describe(XmlReader reader) =>
        reader.NamespaceURI.Length == 0 || IsSyncMlNamespace(reader.NamespaceURI)
            ? reader.LocalName
            : $"{reader.LocalName} xmlns=\"{Clip(reader.NamespaceURI)}\"";

    private static SyncMlFormatException Error(XmlReader reader, string message) =>
        reader is IXmlLineInfo { LineNumber: > 0 } info
            ? new SyncMlFormatException($"{message} (line {info.LineNumber}, position {info.LinePosition})")
            : new SyncMlFormatException(message);

    private sealed record Location(string Uri, string? Name);

    private static string Clip(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");
}
