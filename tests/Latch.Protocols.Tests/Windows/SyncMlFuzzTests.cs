using System.Text;
using CsCheck;
using Latch.Protocols.Tests.Fuzz;
using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

/// <summary>
/// The SyncML decoder under mutated input, kept in the suite: every SyncML vector, bent at random (bytes flipped,
/// dropped, repeated, cut short, markup and entities spliced in). Decode may accept the message or refuse it with
/// <see cref="SyncMlFormatException"/>; anything else (an XmlException, a NullReferenceException, a stack
/// overflow, a hang) fails. An accepted message must encode and decode again to itself. Bounded: a fixed number
/// of cases, about a second. Set LATCH_FUZZ_SECONDS to run for longer.
/// </summary>
public sealed class SyncMlFuzzTests
{
    private static readonly byte[][] Seeds = WindowsVectors.SyncMlNames().Select(WindowsVectors.Bytes).ToArray();

    // Fragments a hostile or broken sender would try: commands out of place, entities and DTD tricks, odd encodings.
    private static readonly string[] Splices =
    [
        "<Status>", "</Status>", "<Item>", "</Item>", "<Data>", "</Data>", "<CmdID>", "</CmdID>", "<Atomic>", "</Atomic>",
        "<Sequence><CmdID>9</CmdID>", "</Sequence>", "<Meta><Format xmlns=\"syncml:metinf\">xml</Format></Meta>", "<Final/>",
        "<Results><CmdID>8</CmdID><CmdRef>1</CmdRef>", "<Data><a xmlns=\"urn:x\"><b/></a></Data>", "<Target><LocURI>./x</LocURI></Target>",
        "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
        "<!DOCTYPE SyncML [<!ENTITY a \"aaaaaaaaaa\">]>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000",
        "xmlns=\"\"", "xmlns:msft=\"http://schemas.microsoft.com/MobileDevice/MDM\"", "msft:originalerror=\"0x1\"", " x:y=\"1\"",
        "<Copy>", "<x:Wipe xmlns:x=\"urn:e\"/>", "<NoResp/>", "<MsgRef>1</MsgRef>", "<!-- c -->", "<?pi x?>",
    ];

    private static readonly Gen<byte[]> Input = Mutations.Of(Seeds, Splices);

    [Fact]
    public void Decode_AcceptsOrRefusesWithItsOwnError_NeverCrashes()
    {
        Assert.Equal(10, Seeds.Length);
        Input.Sample(bytes =>
        {
            SyncMessage decoded;
            try
            {
                decoded = SyncMessage.Decode(bytes);
            }
            catch (SyncMlFormatException)
            {
                return; // the codec's own refusal: what a malformed message must get
            }

            // What the decoder accepted, the encoder writes, and that reads back the same.
            SyncMlAssert.Equal(decoded, SyncMessage.Decode(decoded.Encode()));
        }, cases: 4_000);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecoderRefusesSomeOfThem()
    {
        // A fuzz run that only ever saw valid input would prove nothing: many mutated vectors must be refused.
        Assert.InRange(Input.Refused<SyncMlFormatException>(bytes => SyncMessage.Decode(bytes)), 100, 500);
    }
}
