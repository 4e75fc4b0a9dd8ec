using System.Net;
using System.Net.Sockets;
using System.Text;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

public sealed class PlistReaderTests
{
    private const string Head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";

    private static PlistValue Read(string xml) => Plist.Read(Encoding.UTF8.GetBytes(xml));

    private static PlistValue ReadValue(string valueXml) => Read($"{Head}<plist version=\"1.0\">{valueXml}</plist>");

    // Found by CodecFuzzTests: System.Xml threw ArgumentOutOfRangeException on a byte-order mark inside the declaration.
    [Fact]
    public void AByteOrderMarkInsideTheXmlDeclaration_IsAFormatError_NotACrash()
    {
        var bytes = Convert.FromBase64String("PD94bWwgdmVyc2lvbj0iMS4w77u/IiBlbmNvZGluZz0iVVRGLTgiPz4=");
        var error = Assert.Throws<PlistFormatException>(() => Plist.Read(bytes));
        Assert.StartsWith("Malformed XML", error.Message);
    }

    // Found by CodecFuzzTests too: a byte-order mark followed by a byte UTF-8 cannot decode failed while the reader was made.
    [Fact]
    public void AnUndecodableByteRightAfterTheByteOrderMark_IsAFormatError_NotACrash()
    {
        var error = Assert.Throws<PlistFormatException>(() => Plist.Read([0xEF, 0xBB, 0xBF, 0x99, (byte)'a', (byte)'r', (byte)'r', (byte)'a', (byte)'y', (byte)'>']));
        Assert.StartsWith("Malformed XML", error.Message);
    }

    [Fact]
    public void EveryValueType_Reads()
    {
        var value = ReadValue("""
            <dict>
              <key>s</key><string> two  spaces </string>
              <key>e</key><string/>
              <key>i</key><integer>-9223372036854775808</integer>
              <key>r</key><real>-1.5e3</real>
              <key>t</key><true/>
              <key>f</key><false/>
              <key>d</key><date>2026-11-27T09:00:00Z</date>
              <key>b</key><data>
                AAEC
                /w==
              </data>
              <key>a</key><array><integer>1</integer><array/><dict/></array>
            </dict>
            """);

        var expected = new PlistDict(
        [
            new("s", new PlistString(" two  spaces ")),
            new("e", new PlistString("")),
            new("i", new PlistInteger(long.MinValue)),
            new("r", new PlistReal(-1500)),
            new("t", PlistBoolean.True),
            new("f", PlistBoolean.False),
            new("d", new PlistDate(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero))),
            new("b", new PlistData(new byte[] { 0, 1, 2, 255 })),
            new("a", new PlistArray([new PlistInteger(1), new PlistArray([]), PlistDict.Empty])),
        ]);
        Assert.Equal(expected, value);
    }

    [Fact]
    public void EscapedText_Reads() =>
        Assert.Equal(new PlistString("a<b & \"c\""), ReadValue("<string>a&lt;b &amp; &quot;c&quot;</string>"));

    [Fact]
    public void WhitespaceOnlyString_IsKept() =>
        Assert.Equal(new PlistString("   "), ReadValue("<string>   </string>"));

    [Fact]
    public void DepthOf64_Reads()
    {
        var xml = string.Concat(Enumerable.Repeat("<array>", 63)) + "<true/>" + string.Concat(Enumerable.Repeat("</array>", 63));

        Assert.IsType<PlistArray>(ReadValue(xml));
    }

    public static TheoryData<string, string> BadDocuments => new()
    {
        { "empty body", "" },
        { "not XML", "this is not xml" },
        { "JSON", "{\"MessageType\":\"Authenticate\"}" },
        { "truncated", Head + "<plist version=\"1.0\"><dict><key>UDID</key><string>abc" },
        { "wrong root", Head + "<dict><key>a</key><string>b</string></dict>" },
        { "empty plist", Head + "<plist version=\"1.0\"/>" },
        { "plist without value", Head + "<plist version=\"1.0\">  </plist>" },
        { "plist with two values", Head + "<plist version=\"1.0\"><string>a</string><string>b</string></plist>" },
        { "text in plist", Head + "<plist version=\"1.0\">hello</plist>" },
        { "non-numeric integer", Head + "<plist version=\"1.0\"><integer>abc</integer></plist>" },
        { "integer overflow", Head + "<plist version=\"1.0\"><integer>9223372036854775808</integer></plist>" },
        { "real that is not a number", Head + "<plist version=\"1.0\"><real>1.2.3</real></plist>" },
        { "bad base64", Head + "<plist version=\"1.0\"><data>not*base64!</data></plist>" },
        { "bad date", Head + "<plist version=\"1.0\"><date>27/11/2026</date></plist>" },
        { "date without zone", Head + "<plist version=\"1.0\"><date>2026-11-27T09:00:00</date></plist>" },
        { "duplicate key", Head + "<plist version=\"1.0\"><dict><key>a</key><true/><key>a</key><false/></dict></plist>" },
        { "key without value at end", Head + "<plist version=\"1.0\"><dict><key>a</key></dict></plist>" },
        { "key followed by key", Head + "<plist version=\"1.0\"><dict><key>a</key><key>b</key><true/></dict></plist>" },
        { "value without key", Head + "<plist version=\"1.0\"><dict><string>a</string></dict></plist>" },
        { "unknown element", Head + "<plist version=\"1.0\"><dict><key>a</key><uid>1</uid></dict></plist>" },
        { "element inside string", Head + "<plist version=\"1.0\"><string>a<b/></string></plist>" },
        { "content in true", Head + "<plist version=\"1.0\"><true>yes</true></plist>" },
        { "100-deep nesting", Head + "<plist version=\"1.0\">" + string.Concat(Enumerable.Repeat("<array>", 100)) + string.Concat(Enumerable.Repeat("</array>", 100)) + "</plist>" },
        { "65-deep nesting", Head + "<plist version=\"1.0\">" + string.Concat(Enumerable.Repeat("<array>", 64)) + "<true/>" + string.Concat(Enumerable.Repeat("</array>", 64)) + "</plist>" },
        { "internal entity", "<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\">]><plist version=\"1.0\"><string>&a;&a;</string></plist>" },
        { "trailing element", Head + "<plist version=\"1.0\"><true/></plist><plist/>" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void BadDocument_IsPlistFormatException(string what, string xml)
    {
        var ex = Assert.Throws<PlistFormatException>(() => Read(xml));

        Assert.False(string.IsNullOrEmpty(ex.Message), what);
    }

    [Fact]
    public void Error_SaysWhere()
    {
        var ex = Assert.Throws<PlistFormatException>(() => Read(Head + "<plist version=\"1.0\">\n<dict>\n<key>n</key>\n<integer>abc</integer>\n</dict>\n</plist>"));

        Assert.Equal(6, ex.LineNumber);
        Assert.Contains("line 6", ex.Message, StringComparison.Ordinal);
        Assert.Contains("abc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKey_NamesTheKey()
    {
        var ex = Assert.Throws<PlistFormatException>(() =>
            ReadValue("<dict><key>UDID</key><string>a</string><key>UDID</key><string>b</string></dict>"));

        Assert.Contains("'UDID'", ex.Message, StringComparison.Ordinal);
    }

    // XXE: a SYSTEM entity and an external DTD must be neither fetched nor expanded.
    [Fact]
    public void ExternalEntity_IsNeitherFetchedNorExpanded()
    {
        var secret = Path.Combine(Path.GetTempPath(), $"latch-xxe-{Guid.NewGuid():N}.txt");
        File.WriteAllText(secret, "TOP-SECRET");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            var xml = $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist SYSTEM "http://127.0.0.1:{port}/plist.dtd" [
                  <!ENTITY file SYSTEM "file://{secret}">
                  <!ENTITY net SYSTEM "http://127.0.0.1:{port}/entity">
                  <!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/param">
                  %remote;
                ]>
                <plist version="1.0"><array><string>&file;</string><string>&net;</string></array></plist>
                """;

            var ex = Assert.Throws<PlistFormatException>(() => Read(xml));

            Assert.DoesNotContain("TOP-SECRET", ex.Message, StringComparison.Ordinal);
            Assert.False(listener.Pending(), "the reader connected to the entity's URL");
        }
        finally
        {
            listener.Stop();
            File.Delete(secret);
        }
    }

    [Fact]
    public void ReadOnlySpanAndSlicedMemory_ReadTheSame()
    {
        var bytes = Vectors.Bytes("report-Acknowledged.plist");
        var padded = new byte[bytes.Length + 10];
        bytes.CopyTo(padded, 5);

        var fromArray = Plist.Read(bytes);

        Assert.Equal(fromArray, Plist.Read(new ReadOnlySpan<byte>(bytes)));
        Assert.Equal(fromArray, Plist.Read(new ReadOnlyMemory<byte>(padded, 5, bytes.Length)));
    }

    // Every shared vector is a well-formed plist and decodes to the message kind its name says.
    [Fact]
    public void EveryVector_DecodesToItsMessageType()
    {
        var names = Vectors.PlistNames().ToList();
        Assert.Equal(10, names.Count);
        foreach (var name in names)
        {
            var bytes = Vectors.Bytes(name);
            var parts = Path.GetFileNameWithoutExtension(name).Split('-');
            var kind = parts[1];
            switch (parts[0])
            {
                case "checkin":
                    var checkin = CheckinMessage.Decode(bytes);
                    Assert.Equal(kind, checkin.MessageType);
                    Assert.Equal(kind, checkin.GetType().Name);
                    Assert.True(checkin.Raw.Span.SequenceEqual(bytes), name);
                    break;
                case "report":
                    var report = CommandResponse.Decode(bytes);
                    Assert.Equal(kind, report.Status.ToString());
                    Assert.True(report.Raw.Span.SequenceEqual(bytes), name);
                    break;
                case "command":
                    var command = MdmCommand.Decode(bytes);
                    Assert.Equal(kind, command.RequestType);
                    Assert.True(command.Raw.Span.SequenceEqual(bytes), name);
                    break;
                default:
                    Assert.Fail($"Unexpected vector {name}");
                    break;
            }
        }
    }

    [Fact]
    public void EveryVector_RoundTripsThroughTheWriter()
    {
        foreach (var name in Vectors.PlistNames())
        {
            var value = Plist.Read(Vectors.Bytes(name));

            Assert.Equal(value, Plist.Read(Plist.Write(value)));
        }
    }
}
