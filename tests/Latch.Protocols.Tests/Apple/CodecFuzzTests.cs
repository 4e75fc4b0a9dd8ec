using System.Text;
using CsCheck;
using Latch.Protocols.Tests.Fuzz;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

/// <summary>
/// The Apple codecs under mutated input, kept in the suite: every protocol vector, bent at random (bytes flipped,
/// dropped, repeated, cut short, markup and entities spliced in), through every decoder a device's bytes reach. A
/// decoder may accept the message or refuse it with its own <see cref="PlistFormatException"/>; anything else
/// (a crash, an XmlException, a stack overflow, a hang) fails. Bounded: a fixed number of cases, a few seconds.
/// Set LATCH_FUZZ_SECONDS to run for longer.
/// </summary>
public sealed class CodecFuzzTests
{
    private static readonly byte[][] Seeds = Vectors.PlistNames().Select(Vectors.Bytes).ToArray();

    // Fragments a hostile or broken sender would try: structure out of place, entities and DTD tricks, odd encodings.
    private static readonly string[] Splices =
    [
        "<dict>", "</dict>", "<key>", "</key>", "<array>", "</array>", "<string>", "</string>", "<data>", "</data>", "<integer>",
        "</integer>", "<true/>", "<date>", "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
        "<!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\">]>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000", "<key>UDID</key>",
        "<key>Status</key><string>Acknowledged</string>", "<key>CommandUUID</key><integer>1</integer>", "<key>ErrorChain</key><dict/>",
        "<key>QueryResponses</key><array/>", "<key>SecurityInfo</key><string/>", "99999999999999999999999999", "-", "AAAA====",
    ];

    private static readonly Gen<byte[]> Input = Mutations.Of(Seeds, Splices);

    [Fact]
    public void EveryDecoder_AcceptsOrRefusesWithItsOwnError_NeverCrashes()
    {
        Assert.NotEmpty(Seeds);
        Input.Sample(bytes =>
        {
            Mutations.AcceptOrRefuse<PlistFormatException>(() => Plist.Read(bytes));
            Mutations.AcceptOrRefuse<PlistFormatException>(() => CheckinMessage.Decode(bytes));
            Mutations.AcceptOrRefuse<PlistFormatException>(() => MdmCommand.Decode(bytes));
            Mutations.AcceptOrRefuse<PlistFormatException>(() =>
            {
                var response = CommandResponse.Decode(bytes);
                _ = DeviceInformationAnswer.Read(response);
                _ = SecurityInfoAnswer.Read(response);
                return response;
            });
        }, cases: 4_000);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecodersRefuseSomeOfThem()
    {
        // A fuzz run that only ever saw valid input would prove nothing: most mutated vectors must be refused.
        Assert.InRange(Input.Refused<PlistFormatException>(bytes => CommandResponse.Decode(bytes)), 100, 500);
    }
}
