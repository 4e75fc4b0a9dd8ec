using System.Text;
using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

// Each way a body can be wrong gets SyncMlFormatException with a message that says what is wrong.
public sealed class SyncMlMalformedTests
{
    private static readonly byte[] Vector = WindowsVectors.Bytes("01-device-pkg1-alert1201-devinfo.xml");

    private static string Text => Encoding.UTF8.GetString(Vector);

    [Fact]
    public void Empty_IsRefused() => Refused([], "empty");

    [Fact]
    public void NotXml_IsRefused() => Refused("{\"SyncML\": 1}"u8.ToArray(), "Malformed XML");

    [Fact]
    public void Truncated_IsRefused()
    {
        foreach (var length in new[] { 1, 20, Vector.Length / 2, Vector.Length - 12 })
        {
            Refused(Vector[..length], "Malformed XML");
        }
    }

    [Fact]
    public void WrongRoot_IsRefused() => Refused("<plist version=\"1.0\"><dict/></plist>"u8.ToArray(), "root element must be <SyncML>");

    [Fact]
    public void WrongNamespace_IsRefused()
    {
        Refused(Replace("xmlns=\"SYNCML:SYNCML1.2\"", "xmlns=\"SYNCML:SYNCML1.1\""), "namespace");
        Refused(Replace(" xmlns=\"SYNCML:SYNCML1.2\"", ""), "namespace");
    }

    [Fact]
    public void ExchangeVector_IsNotSyncMl() =>
        Refused(WindowsVectors.Bytes("11-eas-provision-initial-request.xml"), "root element must be <SyncML>, not <Provision>");

    [Fact]
    public void MissingSessionId_IsRefused() => Refused(Replace("<SessionID>1</SessionID>", ""), "<SyncHdr> has no <SessionID>");

    [Fact]
    public void EmptySessionId_IsRefused() => Refused(Replace("<SessionID>1</SessionID>", "<SessionID> </SessionID>"), "empty <SessionID>");

    [Fact]
    public void MissingMsgId_IsRefused() => Refused(Replace("<MsgID>1</MsgID>", ""), "<SyncHdr> has no <MsgID>");

    [Fact]
    public void MissingSourceLocUri_IsRefused() =>
        Refused(Replace("<LocURI>B5B954E81FBCB94EB79BD08BE625F4EE</LocURI>\n    </Source>", "</Source>"), "<Source> has no <LocURI>");

    [Fact]
    public void MissingHeader_IsRefused()
    {
        var start = Text.IndexOf("<SyncHdr>", StringComparison.Ordinal);
        var end = Text.IndexOf("</SyncHdr>", StringComparison.Ordinal) + "</SyncHdr>".Length;
        Refused(Encoding.UTF8.GetBytes(Text.Remove(start, end - start)), "<SyncHdr>");
    }

    [Fact]
    public void MissingBody_IsRefused()
    {
        var start = Text.IndexOf("<SyncBody>", StringComparison.Ordinal);
        var end = Text.IndexOf("</SyncBody>", StringComparison.Ordinal) + "</SyncBody>".Length;
        Refused(Encoding.UTF8.GetBytes(Text.Remove(start, end - start)), "<SyncML> has no <SyncBody>");
    }

    [Fact]
    public void MissingCmdId_IsRefused() => Refused(Replace("<CmdID>4</CmdID>", ""), "<Replace> has no <CmdID>");

    [Fact]
    public void MissingAlertCode_IsRefused() => Refused(Replace("<Data>1201</Data>", ""), "<Alert> has no <Data (the alert code)>");

    [Fact]
    public void StatusWithoutMsgRefOrData_IsRefused()
    {
        var status = WindowsVectors.Bytes("07-device-status-lock-200.xml");
        var text = Encoding.UTF8.GetString(status);
        Refused(Encoding.UTF8.GetBytes(text.Replace("<MsgRef>1</MsgRef>", "", StringComparison.Ordinal)), "<Status> has no <MsgRef>");
        Refused(Encoding.UTF8.GetBytes(text.Replace("<Data>200</Data>", "", StringComparison.Ordinal)), "<Status> has no <Data (the status code)>");
        Refused(Encoding.UTF8.GetBytes(text.Replace("<Cmd>Exec</Cmd>", "", StringComparison.Ordinal)), "<Status> has no <Cmd>");
    }

    [Fact]
    public void UnknownCommand_IsRefusedByName()
    {
        Refused(Replace("<Alert>\n      <CmdID>2</CmdID>", "<Copy><CmdID>9</CmdID></Copy><Alert>\n      <CmdID>2</CmdID>"), "Unknown command <Copy> in <SyncBody>");
        Refused(Replace("<Final/>", "<x:Wipe xmlns:x=\"urn:evil\"/><Final/>"), "Unknown command <Wipe xmlns=\"urn:evil\"> in <SyncBody>");
        var sequence = Encoding.UTF8.GetString(WindowsVectors.Bytes("09-server-sequence-lockandresetpin-get-newpinvalue.xml"));
        Refused(Encoding.UTF8.GetBytes(sequence.Replace("<Get>", "<Map><CmdID>9</CmdID></Map><Get>", StringComparison.Ordinal)), "Unknown command <Map> in <Sequence>");
    }

    [Fact]
    public void DuplicateSingleElement_IsRefused() =>
        Refused(Replace("<SessionID>1</SessionID>", "<SessionID>1</SessionID><SessionID>2</SessionID>"), "<SyncHdr> holds more than one <SessionID>");

    [Fact]
    public void MarkupInATextElement_IsRefused() => Refused(Replace("<MsgID>1</MsgID>", "<MsgID><b>1</b></MsgID>"), "<MsgID> must hold text");

    [Fact]
    public void StrayText_IsRefused() => Refused(Replace("<SyncBody>", "<SyncBody>junk"), "Unexpected text 'junk' in <SyncBody>");

    [Fact]
    public void ContentAfterTheRoot_IsRefused() => Refused([.. Vector, .. "<SyncML/>"u8], "Malformed XML");

    [Fact]
    public void Dtd_IsRefused()
    {
        Refused(Encoding.UTF8.GetBytes("<!DOCTYPE SyncML [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>" + Text.Replace("user", "&b;", StringComparison.Ordinal)), "DTD");
        Refused(Encoding.UTF8.GetBytes("<!DOCTYPE SyncML SYSTEM \"http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd\">" + Text), "DTD");
    }

    [Fact]
    public void UndeclaredEntity_IsRefused() => Refused(Replace("<Data>user</Data>", "<Data>&xxe;</Data>"), "Malformed XML");

    [Fact]
    public void DepthBomb_IsRefused()
    {
        var open = string.Concat(Enumerable.Repeat("<Atomic><CmdID>1</CmdID>", 5_000));
        var close = string.Concat(Enumerable.Repeat("</Atomic>", 5_000));
        Refused(Replace("<Final/>", open + close + "<Final/>"), $"deeper than {SyncMessage.MaxDepth}");

        // Unknown elements are skipped, but not without the bound.
        var skipped = string.Concat(Enumerable.Repeat("<x>", 5_000)) + string.Concat(Enumerable.Repeat("</x>", 5_000));
        Refused(Replace("<Data>user</Data>", "<Data>user</Data>" + skipped), $"deeper than {SyncMessage.MaxDepth}");
    }

    [Fact]
    public void HugeText_IsRefused() =>
        Refused(Replace("<Data>user</Data>", $"<Data>{new string('a', SyncMessage.MaxCharacters)}</Data>"), "Malformed XML");

    [Fact]
    public void InvalidUtf8_IsRefused() => Refused([.. "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>"u8, 0xC3, 0x28, .. "</VerDTD>"u8], "Malformed XML");

    private static byte[] Replace(string from, string to)
    {
        Assert.Contains(from, Text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(Text.Replace(from, to, StringComparison.Ordinal));
    }

    private static void Refused(byte[] body, string expected)
    {
        var error = Assert.Throws<SyncMlFormatException>(() => SyncMessage.Decode(body));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
