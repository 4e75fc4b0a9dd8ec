using System.Runtime.InteropServices;

namespace Latch.Protocols.Windows;

/// <summary>
/// One SyncML DM message (MS-MDM §2.2.2; OMA-SyncML RepPro 1.2.2 §5): a header and the SyncBody's commands.
/// The same type serves both directions, so the server encodes what a simulated device decodes and back.
/// </summary>
public sealed record SyncMessage
{
    /// <summary>MS-MDM §2.1: the XML form of OMA DM. The WBXML form is not supported.</summary>
    public const string ContentType = "application/vnd.syncml.dm+xml";

    /// <summary>The SyncML element's namespace (MS-MDM §2.2.4.1). Devices write it upper case; we compare ignoring case.</summary>
    public const string Namespace = "SYNCML:SYNCML1.2";

    /// <summary>The namespace of Meta's children (OMA-SyncML MetInf 1.2); Windows declares it on each of them.</summary>
    public const string MetInfNamespace = "syncml:metinf";

    /// <summary>The namespace of the msft:originalerror attribute on Data (MS-MDM §2.2.5.1).</summary>
    public const string MsftNamespace = "http://schemas.microsoft.com/MobileDevice/MDM";

    /// <summary>
    /// Element nesting the decoder accepts (the encoder refuses to write deeper). A real message nests about six
    /// levels; the bound stops a depth bomb before it costs stack.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Characters the decoder reads in one document. The caller also limits the body's bytes; this bound holds
    /// whatever the encoding, and stays well above Windows' own MaxMsgSize (a large object travels chunked).
    /// </summary>
    public const int MaxCharacters = 4 * 1024 * 1024;

    public required SyncHeader Header { get; init; }

    /// <summary>
    /// The SyncBody's children in document order, Final excluded. Order is meaning: MS-MDM §2.2.6.1 requires
    /// the Status elements of a reply in the order of the commands they answer.
    /// </summary>
    public required IReadOnlyList<SyncCommand> Commands { get; init; }

    /// <summary>
    /// &lt;Final/&gt;: the sender's package ends with this message. False means more messages of the package
    /// follow (a large package split by MaxMsgSize).
    /// </summary>
    public bool Final { get; init; } = true;

    /// <summary>The exact bytes decoded, for audit and debugging; empty for a message built in code.</summary>
    public ReadOnlyMemory<byte> Raw { get; init; }

    /// <summary>Decodes a UTF-8 SyncML document (XML declaration and byte-order mark optional).</summary>
    /// <exception cref="SyncMlFormatException">The body is not a SyncML DM message this codec reads.</exception>
    public static SyncMessage Decode(ReadOnlyMemory<byte> body)
    {
        if (MemoryMarshal.TryGetArray(body, out var segment))
        {
            return SyncMlReader.Read(segment.Array!, segment.Offset, segment.Count, body);
        }

        var copy = body.ToArray();
        return SyncMlReader.Read(copy, 0, copy.Length, body);
    }

    /// <summary>Writes the message as compact UTF-8 XML without a byte-order mark.</summary>
    /// <exception cref="ArgumentException">A required value is missing, text holds a character XML cannot carry,
    /// markup Data is not well-formed, or commands nest deeper than <see cref="MaxDepth"/>.</exception>
    public byte[] Encode() => SyncMlWriter.Write(this);
}

/// <summary>SyncHdr (MS-MDM §2.2.4.2): who talks to whom, in which session, which message.</summary>
public sealed record SyncHeader
{
    public string VerDtd { get; init; } = "1.2";

    public string VerProto { get; init; } = "DM/1.2";

    public required string SessionId { get; init; }

    /// <summary>Numbers the messages of a session; a Status answers it through MsgRef.</summary>
    public required string MsgId { get; init; }

    public required string TargetLocUri { get; init; }

    /// <summary>From a device: its DeviceID (the one it enrolled with); from the server: the management URL.</summary>
    public required string SourceLocUri { get; init; }

    public string? SourceLocName { get; init; }

    public SyncCred? Cred { get; init; }

    /// <summary>Header Meta, e.g. MaxMsgSize; Windows ignores it in the server's messages ("OMA DM protocol support").</summary>
    public SyncMeta? Meta { get; init; }
}

/// <summary>
/// Cred in a header or Chal in a Status (OMA-SyncML RepPro 1.2.2 §5.1.3, §5.1.2). Chal carries no Data on the
/// wire: it decodes with Data empty, and an empty Data is not written for it.
/// </summary>
public sealed record SyncCred(SyncMeta? Meta, string Data);

/// <summary>
/// Meta information (OMA-SyncML MetInf 1.2). Only the fields OMA DM uses are kept; other MetInf children are
/// skipped when decoding.
/// </summary>
public sealed record SyncMeta
{
    /// <summary>Data's format: chr, int, bool, b64, xml, node, null, ...</summary>
    public string? Format { get; init; }

    /// <summary>A MIME type, or for an alert the alert's kind (e.g. com.microsoft:mdm.unenrollment.userrequest).</summary>
    public string? Type { get; init; }

    public string? MaxMsgSize { get; init; }

    public string? MaxObjSize { get; init; }

    /// <summary>The whole object's size, in the first chunk of a large object.</summary>
    public string? Size { get; init; }

    /// <summary>In a Chal: the nonce for the next MD5 or HMAC credential.</summary>
    public string? NextNonce { get; init; }
}

/// <summary>Item (MS-MDM §2.2.5.2): one node a command acts on, or one value a device returns.</summary>
public sealed record SyncItem
{
    /// <summary>Target/LocURI: the node a server command acts on.</summary>
    public string? Target { get; init; }

    /// <summary>Source/LocURI: the node a device's Results or Replace reports.</summary>
    public string? Source { get; init; }

    public SyncMeta? Meta { get; init; }

    /// <summary>
    /// Data (MS-MDM §2.2.5.1) exactly as sent. Text is unescaped. When Data holds markup (child elements, as with
    /// Format xml), this is its inner XML as a string and <see cref="DataIsXml"/> is set, so it is written back
    /// as markup; the decoder adds the in-scope namespace declaration to each top-level element.
    /// </summary>
    public string? Data { get; init; }

    /// <summary>
    /// Data holds markup: the encoder writes <see cref="Data"/> verbatim (after checking it is a well-formed
    /// fragment) instead of escaping it. MS-MDM §2.2.5.1 wants each element of such markup to declare its namespace.
    /// </summary>
    public bool DataIsXml { get; init; }

    /// <summary>
    /// msft:originalerror on Data: the HRESULT a Windows component reported for a failure, sent once the server
    /// set DMClient's SyncApplicationVersion to 3.0 or higher (MS-MDM §2.2.5.1).
    /// </summary>
    public string? OriginalError { get; init; }
}
