using System.Text;
using CsCheck;
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
    private static readonly byte[][] Splices =
    [
        .. new[]
        {
            "<Status>", "</Status>", "<Item>", "</Item>", "<Data>", "</Data>", "<CmdID>", "</CmdID>", "<Atomic>", "</Atomic>",
            "<Sequence><CmdID>9</CmdID>", "</Sequence>", "<Meta><Format xmlns=\"syncml:metinf\">xml</Format></Meta>", "<Final/>",
            "<Results><CmdID>8</CmdID><CmdRef>1</CmdRef>", "<Data><a xmlns=\"urn:x\"><b/></a></Data>", "<Target><LocURI>./x</LocURI></Target>",
            "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
            "<!DOCTYPE SyncML [<!ENTITY a \"aaaaaaaaaa\">]>", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000",
            "xmlns=\"\"", "xmlns:msft=\"http://schemas.microsoft.com/MobileDevice/MDM\"", "msft:originalerror=\"0x1\"", " x:y=\"1\"",
            "<Copy>", "<x:Wipe xmlns:x=\"urn:e\"/>", "<NoResp/>", "<MsgRef>1</MsgRef>", "<!-- c -->", "<?pi x?>",
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
    public void Decode_AcceptsOrRefusesWithItsOwnError_NeverCrashes()
    {
        Assert.Equal(10, Seeds.Length);
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("LATCH_FUZZ_SECONDS"), out var s) ? s : -1;
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
        }, iter: seconds > 0 ? -1 : 4_000, time: seconds, threads: 1);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecoderRefusesSomeOfThem()
    {
        // A fuzz run that only ever saw valid input would prove nothing: many mutated vectors must be refused.
        var refused = 0;
        Input.Sample(bytes =>
        {
            try { SyncMessage.Decode(bytes); }
            catch (SyncMlFormatException) { refused++; }
        }, iter: 500, threads: 1);
        Assert.InRange(refused, 100, 500);
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
