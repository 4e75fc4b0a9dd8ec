using System.Text;
using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

// What the decoder accepts beyond the vectors, and how the encoder writes it.
public sealed class SyncMlDecodeTests
{
    private const string Header =
        "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>7</SessionID><MsgID>3</MsgID>" +
        "<Target><LocURI>https://mdm.example/</LocURI></Target><Source><LocURI>DEV1</LocURI></Source></SyncHdr>";

    internal static byte[] Message(string body, string ns = "SYNCML:SYNCML1.2") =>
        Encoding.UTF8.GetBytes($"<SyncML xmlns=\"{ns}\">{Header}<SyncBody>{body}</SyncBody></SyncML>");

    [Fact]
    public void Namespace_IsComparedIgnoringCase()
    {
        var m = SyncMessage.Decode(Message("<Final/>", "syncml:syncml1.2"));
        Assert.Equal("7", m.Header.SessionId);
        Assert.Empty(m.Commands);
        Assert.True(m.Final);
    }

    [Fact]
    public void NoFinal_MeansMoreMessagesFollow()
    {
        var m = SyncMessage.Decode(Message("<Alert><CmdID>1</CmdID><Data>1222</Data></Alert>"));
        Assert.False(m.Final);
        Assert.DoesNotContain("Final", Encoding.UTF8.GetString(m.Encode()), StringComparison.Ordinal);
    }

    [Fact]
    public void XmlDeclarationAndByteOrderMark_AreAccepted()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"u8, .. Message("<Final/>")];
        Assert.Equal("DEV1", SyncMessage.Decode(body).Header.SourceLocUri);
    }

    [Fact]
    public void MetaChildren_AreAcceptedInMetInf_InSyncMl_OrInNoNamespace()
    {
        var m = SyncMessage.Decode(Message(
            "<Get><CmdID>1</CmdID><Meta><Format>chr</Format><Type xmlns=\"\">text/plain</Type><MaxObjSize xmlns=\"SYNCML:METINF\">9</MaxObjSize>" +
            "<Mark xmlns=\"syncml:metinf\">high</Mark><x:Other xmlns:x=\"urn:x\">1</x:Other></Meta><Item><Target><LocURI>./a</LocURI></Target></Item></Get>"));
        var get = Assert.IsType<SyncGet>(Assert.Single(m.Commands));
        Assert.Equal(new SyncMeta { Format = "chr", Type = "text/plain", MaxObjSize = "9" }, get.Meta);
    }

    [Fact]
    public void SpecSyncTypeAlert_WithTypeOutsideMeta_Decodes()
    {
        // MS-MDM §3.2.5.1.5 prints the 1224 alert with an empty <Meta/> and <Type xmlns="syncml:metinf"> beside it,
        // directly in <Item>: the stray Type is skipped, not an error.
        var m = SyncMessage.Decode(Message(
            "<Alert><CmdID>1</CmdID><Data>1224</Data><Item><Meta></Meta><Type xmlns=\"syncml:metinf\">com.microsoft.mdm.synctype</Type>" +
            "<Data>user</Data></Item></Alert>"));
        var alert = Assert.IsType<SyncAlert>(Assert.Single(m.Commands));
        Assert.Equal(SyncAlertCodes.ClientEvent, alert.Data);
        Assert.Equal(new SyncItem { Meta = new SyncMeta(), Data = "user" }, Assert.Single(alert.Items));
    }

    [Fact]
    public void UnknownElementsInsideCommandsAndItems_AreSkipped()
    {
        var m = SyncMessage.Decode(Message(
            "<Replace><CmdID>2</CmdID><NoResp/><Cred><Data>x</Data></Cred><Item><Target><LocURI>./a</LocURI><Filter><x/></Filter></Target>" +
            "<MoreData/><Data>v</Data><Future><Deep><Deeper/></Deep></Future></Item><Unknown>t</Unknown></Replace><Final/>"));
        var replace = Assert.IsType<SyncReplace>(Assert.Single(m.Commands));
        Assert.Equal(new SyncItem { Target = "./a", Data = "v" }, Assert.Single(replace.Items));
    }

    [Fact]
    public void WhitespaceAroundIdentifiersIsLayout_WhitespaceInDataIsContent()
    {
        var m = SyncMessage.Decode(Message(
            "<Replace><CmdID> 2 </CmdID><Item><Target><LocURI>./Vendor/MSFT/RemoteLock/Lock </LocURI></Target><Data>  two  words\n</Data></Item></Replace>"));
        var replace = Assert.IsType<SyncReplace>(Assert.Single(m.Commands));
        Assert.Equal("2", replace.CmdId);
        Assert.Equal(new SyncItem { Target = "./Vendor/MSFT/RemoteLock/Lock", Data = "  two  words\n" }, Assert.Single(replace.Items));
    }

    [Fact]
    public void EscapedTextAndCData_AreUnescapedText_NotMarkup()
    {
        var m = SyncMessage.Decode(Message(
            "<Add><CmdID>1</CmdID><Item><Target><LocURI>./a</LocURI></Target><Data>&lt;wap-provisioningdoc/&gt; &amp; <![CDATA[<raw>]]></Data></Item></Add>"));
        var item = Assert.Single(Assert.IsType<SyncAdd>(Assert.Single(m.Commands)).Items);
        Assert.Equal("<wap-provisioningdoc/> & <raw>", item.Data);
        Assert.False(item.DataIsXml);
        Assert.Contains("<Data>&lt;wap-provisioningdoc/&gt; &amp; &lt;raw&gt;</Data>", Encoding.UTF8.GetString(m.Encode()), StringComparison.Ordinal);
    }

    [Fact]
    public void MarkupData_IsKeptAsInnerXml_AndWrittenBackAsMarkup()
    {
        var m = SyncMessage.Decode(Message(
            "<Add><CmdID>1</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/x/DownloadInstall</LocURI></Target>" +
            "<Meta><Format xmlns=\"syncml:metinf\">xml</Format></Meta>" +
            "<Data><MsiInstallJob xmlns=\"urn:msi\" id=\"{A}\"><Product Version=\"1.0\">&amp;</Product></MsiInstallJob></Data></Item></Add>"));
        var item = Assert.Single(Assert.IsType<SyncAdd>(Assert.Single(m.Commands)).Items);
        Assert.True(item.DataIsXml);
        Assert.Equal("<MsiInstallJob xmlns=\"urn:msi\" id=\"{A}\"><Product Version=\"1.0\">&amp;</Product></MsiInstallJob>", item.Data);

        var encoded = Encoding.UTF8.GetString(m.Encode());
        Assert.Contains($"<Data>{item.Data}</Data>", encoded, StringComparison.Ordinal);
        SyncMlAssert.Equal(m, SyncMessage.Decode(m.Encode()));
    }

    [Fact]
    public void MarkupInheritingTheSyncMlNamespace_GetsItDeclared_SoItRoundTrips()
    {
        var m = SyncMessage.Decode(Message("<Add><CmdID>1</CmdID><Item><Data> <a><b/></a> </Data></Item></Add>"));
        var item = Assert.Single(Assert.IsType<SyncAdd>(Assert.Single(m.Commands)).Items);
        Assert.True(item.DataIsXml);
        Assert.StartsWith(" <a xmlns=\"SYNCML:SYNCML1.2\">", item.Data, StringComparison.Ordinal);
        SyncMlAssert.Equal(m, SyncMessage.Decode(m.Encode()));
    }

    [Fact]
    public void OriginalError_IsReadFromStatusDataAndItemData_AndWrittenWithTheMsftPrefixOnSyncBody()
    {
        var body = Encoding.UTF8.GetBytes(
            $"<SyncML xmlns=\"SYNCML:SYNCML1.2\">{Header}<SyncBody xmlns:msft=\"http://schemas.microsoft.com/MobileDevice/MDM\">" +
            "<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Replace</Cmd><Data msft:originalerror=\"0x86000002\">500</Data></Status>" +
            "<Results><CmdID>3</CmdID><CmdRef>4</CmdRef><Item><Source><LocURI>./a</LocURI></Source><Data msft:originalerror=\"0x80070057\">x</Data></Item></Results>" +
            "<Final/></SyncBody></SyncML>");
        var m = SyncMessage.Decode(body);
        var status = Assert.IsType<SyncStatus>(m.Commands[0]);
        Assert.Equal(("500", SyncStatusCodes.CommandFailed, "0x86000002"), (status.Data, status.Code, status.OriginalError));
        var results = Assert.IsType<SyncResults>(m.Commands[1]);
        Assert.Null(results.MsgRef);
        Assert.Equal("0x80070057", Assert.Single(results.Items).OriginalError);

        var encoded = Encoding.UTF8.GetString(m.Encode());
        Assert.Contains("<SyncBody xmlns:msft=\"http://schemas.microsoft.com/MobileDevice/MDM\">", encoded, StringComparison.Ordinal);
        Assert.Contains("<Data msft:originalerror=\"0x86000002\">500</Data>", encoded, StringComparison.Ordinal);
        SyncMlAssert.Equal(m, SyncMessage.Decode(m.Encode()));
    }

    [Fact]
    public void NestedAtomicAndSequence_KeepTheirOrder()
    {
        var m = SyncMessage.Decode(Message(
            "<Atomic><CmdID>1</CmdID><Replace><CmdID>2</CmdID><Item><Target><LocURI>./a</LocURI></Target><Data>1</Data></Item></Replace>" +
            "<Sequence><CmdID>3</CmdID><Exec><CmdID>4</CmdID></Exec><Atomic><CmdID>5</CmdID><Delete><CmdID>6</CmdID></Delete></Atomic></Sequence>" +
            "<Add><CmdID>7</CmdID></Add></Atomic><Get><CmdID>8</CmdID></Get><Final/>"));
        var atomic = Assert.IsType<SyncAtomic>(m.Commands[0]);
        Assert.Equal(["Replace", "Sequence", "Add"], atomic.Commands.Select(c => c.Name));
        var sequence = Assert.IsType<SyncSequence>(atomic.Commands[1]);
        Assert.Equal(["4", "5"], sequence.Commands.Select(c => c.CmdId));
        Assert.Equal("6", Assert.Single(Assert.IsType<SyncAtomic>(sequence.Commands[1]).Commands).CmdId);
        Assert.Equal("8", m.Commands[1].CmdId);
        SyncMlAssert.Equal(m, SyncMessage.Decode(m.Encode()));
    }

    [Fact]
    public void CredChalAndHeaderMeta_AreRead()
    {
        var body = Encoding.UTF8.GetBytes(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>" +
            "<Target><LocURI>https://mdm.example/</LocURI></Target><Source><LocURI>DEV1</LocURI><LocName>alice</LocName></Source>" +
            "<Cred><Meta><Format xmlns=\"syncml:metinf\">b64</Format><Type xmlns=\"syncml:metinf\">syncml:auth-md5</Type></Meta><Data>AAAA</Data></Cred>" +
            "<Meta><MaxMsgSize xmlns=\"syncml:metinf\">65536</MaxMsgSize></Meta></SyncHdr><SyncBody>" +
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><TargetRef>https://mdm.example/</TargetRef><SourceRef>DEV1</SourceRef>" +
            "<Chal><Meta><Format xmlns=\"syncml:metinf\">b64</Format><Type xmlns=\"syncml:metinf\">syncml:auth-md5</Type><NextNonce xmlns=\"syncml:metinf\">Tm9uY2U=</NextNonce></Meta></Chal>" +
            "<Data>401</Data></Status><Final/></SyncBody></SyncML>");
        var m = SyncMessage.Decode(body);
        Assert.Equal("alice", m.Header.SourceLocName);
        Assert.Equal(new SyncCred(new SyncMeta { Format = "b64", Type = "syncml:auth-md5" }, "AAAA"), m.Header.Cred);
        Assert.Equal("65536", m.Header.Meta?.MaxMsgSize);
        var status = Assert.IsType<SyncStatus>(Assert.Single(m.Commands));
        Assert.Equal(["https://mdm.example/"], status.TargetRefs);
        Assert.Equal(["DEV1"], status.SourceRefs);
        Assert.Equal(new SyncCred(new SyncMeta { Format = "b64", Type = "syncml:auth-md5", NextNonce = "Tm9uY2U=" }, ""), status.Chal);
        Assert.Equal(SyncStatusCodes.InvalidCredentials, status.Code);
        SyncMlAssert.Equal(m, SyncMessage.Decode(m.Encode()));
    }

    [Fact]
    public void Encode_WritesCompactSyncMl_WithMetInfOnEachMetaChild()
    {
        var message = new SyncMessage
        {
            Header = new SyncHeader { SessionId = "1", MsgId = "2", TargetLocUri = "DEV1", SourceLocUri = "https://mdm.example/" },
            Commands =
            [
                new SyncStatus { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "200" },
                new SyncReplace
                {
                    CmdId = "2",
                    Items = [new SyncItem { Target = "./Vendor/MSFT/Policy/Config/A&B", Meta = new SyncMeta { Format = "int", Type = "text/plain" }, Data = "1 < 2\r\n" }],
                },
            ],
        };
        Assert.Equal(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>2</MsgID>" +
            "<Target><LocURI>DEV1</LocURI></Target><Source><LocURI>https://mdm.example/</LocURI></Source></SyncHdr><SyncBody>" +
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>" +
            "<Replace><CmdID>2</CmdID><Item><Target><LocURI>./Vendor/MSFT/Policy/Config/A&amp;B</LocURI></Target>" +
            "<Meta><Format xmlns=\"syncml:metinf\">int</Format><Type xmlns=\"syncml:metinf\">text/plain</Type></Meta><Data>1 &lt; 2&#xD;\n</Data></Item></Replace>" +
            "<Final/></SyncBody></SyncML>",
            Encoding.UTF8.GetString(message.Encode()));
        Assert.True(message.Raw.IsEmpty);
        Assert.Equal("1 < 2\r\n", Assert.Single(((SyncReplace)SyncMessage.Decode(message.Encode()).Commands[1]).Items).Data);
    }

    [Fact]
    public void Encode_RefusesWhatItCannotWrite()
    {
        static SyncMessage With(SyncCommand command) => new()
        {
            Header = new SyncHeader { SessionId = "1", MsgId = "1", TargetLocUri = "a", SourceLocUri = "b" },
            Commands = [command],
        };

        Assert.Throws<ArgumentException>(() => With(new SyncGet { CmdId = "" }).Encode());
        Assert.Throws<ArgumentException>(() => With(new SyncAlert { CmdId = "1", Data = "\u0001" }).Encode());
        Assert.Throws<ArgumentException>(() => With(new SyncAlert { CmdId = "1", Data = "\uD800" }).Encode());
        Assert.Throws<ArgumentException>(() => With(new SyncAdd { CmdId = "1", Items = [new SyncItem { Data = "<open>", DataIsXml = true }] }).Encode());
        SyncCommand deep = new SyncGet { CmdId = "x" };
        for (var i = 0; i < SyncMessage.MaxDepth; i++)
        {
            deep = new SyncAtomic { CmdId = "x", Commands = [deep] };
        }

        Assert.Contains("deeper", Assert.Throws<ArgumentException>(() => With(deep).Encode()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusCode_IsNullWhenDataIsNotANumber()
    {
        Assert.Null(new SyncStatus { CmdId = "1", MsgRef = "1", CmdRef = "1", Cmd = "Get", Data = "ok" }.Code);
        Assert.Equal(404, new SyncStatus { CmdId = "1", MsgRef = "1", CmdRef = "1", Cmd = "Get", Data = "404" }.Code);
    }
}
