using System.Text;
using CsCheck;
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
    private static readonly byte[][] Splices =
    [
        .. new[]
        {
            "<dict>", "</dict>", "<key>", "</key>", "<array>", "</array>", "<string>", "</string>", "<data>", "</data>", "<integer>",
            "</integer>", "<true/>", "<date>", "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
            "<!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\">]>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000", "<key>UDID</key>",
            "<key>Status</key><string>Acknowledged</string>", "<key>CommandUUID</key><integer>1</integer>", "<key>ErrorChain</key><dict/>",
            "<key>QueryResponses</key><array/>", "<key>SecurityInfo</key><string/>", "99999999999999999999999999", "-", "AAAA====",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    private static readonly Gen<Func<byte[], byte[]>> Mutation = Gen.OneOf(
        Gen.Int[0, int.MaxValue].Select(Gen.Byte, (at, value) => (Func<byte[], byte[]>)(b => Set(b, at, value))),
        Gen.Int[0, int.MaxValue].Select(Gen.Int[1, 64], (at, length) => (Func<byte[], byte[]>)(b => Remove(b, at, length))),
        Gen.Int[0, int.MaxValue].Select(Gen.Int[0, Splices.Length - 1], (at, splice) => (Func<byte[], byte[]>)(b => Insert(b, at, Splices[splice]))),
        Gen.Int[0, int.MaxValue].Select(Gen.Int[1, 200], (at, length) => (Func<byte[], byte[]>)(b => Repeat(b, at, length))),
        Gen.Int[0, int.MaxValue].Select(at => (Func<byte[], byte[]>)(b => b[..(b.Length == 0 ? 0 : at % b.Length)])));

    private static readonly Gen<byte[]> Input = Gen.Int[0, Seeds.Length - 1].Select(Mutation.Array[1, 8],
        (seed, mutations) => mutations.Aggregate(Seeds[seed], (bytes, mutate) => mutate(bytes)));

    [Fact]
    public void EveryDecoder_AcceptsOrRefusesWithItsOwnError_NeverCrashes()
    {
        Assert.NotEmpty(Seeds);
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("LATCH_FUZZ_SECONDS"), out var s) ? s : -1;
        Input.Sample(bytes =>
        {
            Decode(() => Plist.Read(bytes));
            Decode(() => CheckinMessage.Decode(bytes));
            Decode(() => MdmCommand.Decode(bytes));
            Decode(() =>
            {
                var response = CommandResponse.Decode(bytes);
                _ = DeviceInformationAnswer.Read(response);
                _ = SecurityInfoAnswer.Read(response);
                return response;
            });
        }, iter: seconds > 0 ? -1 : 4_000, time: seconds, threads: 1);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecodersRefuseSomeOfThem()
    {
        // A fuzz run that only ever saw valid input would prove nothing: most mutated vectors must be refused.
        var refused = 0;
        Input.Sample(bytes =>
        {
            try { CommandResponse.Decode(bytes); }
            catch (PlistFormatException) { refused++; }
        }, iter: 500, threads: 1);
        Assert.InRange(refused, 100, 500);
    }

    private static void Decode(Func<object> decode)
    {
        try
        {
            decode();
        }
        catch (PlistFormatException)
        {
            // the codec's own refusal: what a malformed message must get
        }
    }

    private static byte[] Set(byte[] b, int at, byte value)
    {
        if (b.Length == 0) return b;
        var copy = (byte[])b.Clone();
        copy[at % b.Length] = value;
        return copy;
    }

    private static byte[] Remove(byte[] b, int at, int length)
    {
        if (b.Length == 0) return b;
        var start = at % b.Length;
        return [.. b.AsSpan(0, start), .. b.AsSpan(Math.Min(b.Length, start + length))];
    }

    private static byte[] Insert(byte[] b, int at, byte[] fragment)
    {
        var start = b.Length == 0 ? 0 : at % (b.Length + 1);
        return [.. b.AsSpan(0, start), .. fragment, .. b.AsSpan(start)];
    }

    private static byte[] Repeat(byte[] b, int at, int length)
    {
        if (b.Length == 0) return b;
        var start = at % b.Length;
        var piece = b.AsSpan(start, Math.Min(length, b.Length - start)).ToArray();
        return Insert(b, start, piece);
    }
}
