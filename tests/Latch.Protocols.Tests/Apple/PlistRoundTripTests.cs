using System.Text;
using CsCheck;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

public sealed class PlistRoundTripTests
{
    // Characters that stress escaping and normalisation: markup, CR/LF/tab, non-ASCII, a surrogate pair.
    private static readonly Gen<string> Text =
        Gen.OneOf(
            Gen.Char["abcXYZ019 <>&\"'\r\n\t;é€]"].Array[0, 12].Select(a => new string(a)),
            Gen.Const("😀 ]]> &amp;"));

    private static readonly Gen<PlistValue> Leaf = Gen.OneOf<PlistValue>(
        Text.Select(s => (PlistValue)new PlistString(s)),
        Gen.Long.Select(n => (PlistValue)new PlistInteger(n)),
        Gen.Double.Select(d => (PlistValue)new PlistReal(d)),
        Gen.Bool.Select(b => (PlistValue)new PlistBoolean(b)),
        Gen.Long[-62135596800, 253402300799].Select(s => (PlistValue)new PlistDate(DateTimeOffset.FromUnixTimeSeconds(s))),
        Gen.Byte.Array[0, 40].Select(b => (PlistValue)new PlistData(b)));

    private static Gen<PlistValue> Value(int depth) => depth == 0
        ? Leaf
        : Gen.OneOf(
            Leaf,
            Value(depth - 1).List[0, 4].Select(items => (PlistValue)new PlistArray(items)),
            Gen.Select(Text, Value(depth - 1)).List[0, 4].Select(entries => (PlistValue)new PlistDict(
                entries.DistinctBy(e => e.Item1).Select(e => new KeyValuePair<string, PlistValue>(e.Item1, e.Item2)))));

    [Fact]
    public void WriteThenRead_GivesTheSameValue() =>
        Value(4).Sample(value => Assert.Equal(value, Plist.Read(Plist.Write(value))), iter: 2_000);

    [Fact]
    public void NonFiniteReals_RoundTrip()
    {
        foreach (var d in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue })
        {
            Assert.Equal(new PlistReal(d), Plist.Read(Plist.Write(new PlistReal(d))));
        }
    }

    [Fact]
    public void ControlCharacter_IsRefusedByTheWriter() =>
        Assert.Throws<ArgumentException>(() => Plist.Write(new PlistString("bell\a")));

    [Fact]
    public void Writer_UsesAppleLayout()
    {
        var text = Encoding.UTF8.GetString(Plist.Write(new PlistDict([new("a", new PlistArray([PlistBoolean.True]))])));

        Assert.Equal(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n" +
            "<plist version=\"1.0\">\n<dict>\n\t<key>a</key>\n\t<array>\n\t\t<true/>\n\t</array>\n</dict>\n</plist>\n",
            text);
    }

    [Fact]
    public void Writer_RefusesWhatTheReaderWouldRefuse()
    {
        PlistValue value = PlistBoolean.True;
        for (var i = 0; i < 63; i++)
        {
            value = new PlistArray([value]);
        }

        Assert.Equal(value, Plist.Read(Plist.Write(value)));
        Assert.Throws<ArgumentException>(() => Plist.Write(new PlistArray([value])));
    }

    [Fact]
    public void DictEquality_IgnoresKeyOrder() =>
        Assert.Equal(
            new PlistDict([new("a", new PlistInteger(1)), new("b", new PlistInteger(2))]),
            new PlistDict([new("b", new PlistInteger(2)), new("a", new PlistInteger(1))]));
}
