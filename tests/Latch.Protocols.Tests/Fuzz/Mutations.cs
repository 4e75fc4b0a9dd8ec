using System.Text;
using CsCheck;

namespace Latch.Protocols.Tests.Fuzz;

/// <summary>
/// What every codec's fuzz test shares: protocol vectors bent at random (bytes set, dropped, repeated, cut short, and
/// fragments a hostile or broken sender would try spliced in), how long to run (LATCH_FUZZ_SECONDS, else a fixed
/// number of cases), and the rule that a decoder may refuse only with its codec's own exception.
/// </summary>
public static class Mutations
{
    /// <summary>One to eight mutations of one of the seeds.</summary>
    public static Gen<byte[]> Of(byte[][] seeds, IEnumerable<string> splices)
    {
        var fragments = splices.Select(Encoding.UTF8.GetBytes).ToArray();
        var mutation = Gen.OneOf(
            Gen.Int[0, int.MaxValue].Select(Gen.Byte, (at, value) => (Func<byte[], byte[]>)(b => Set(b, at, value))),
            Gen.Int[0, int.MaxValue].Select(Gen.Int[1, 64], (at, length) => (Func<byte[], byte[]>)(b => Remove(b, at, length))),
            Gen.Int[0, int.MaxValue].Select(Gen.Int[0, fragments.Length - 1], (at, splice) => (Func<byte[], byte[]>)(b => Insert(b, at, fragments[splice]))),
            Gen.Int[0, int.MaxValue].Select(Gen.Int[1, 200], (at, length) => (Func<byte[], byte[]>)(b => Repeat(b, at, length))),
            Gen.Int[0, int.MaxValue].Select(at => (Func<byte[], byte[]>)(b => b[..(b.Length == 0 ? 0 : at % b.Length)])));
        return Gen.Int[0, seeds.Length - 1].Select(mutation.Array[1, 8],
            (seed, mutations) => mutations.Aggregate(seeds[seed], (bytes, mutate) => mutate(bytes)));
    }

    /// <summary>Runs <paramref name="check"/> on mutated inputs: <paramref name="cases"/> of them, or for LATCH_FUZZ_SECONDS when set.</summary>
    public static void Sample(this Gen<byte[]> input, Action<byte[]> check, int cases)
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("LATCH_FUZZ_SECONDS"), out var s) ? s : -1;
        input.Sample(check, iter: seconds > 0 ? -1 : cases, time: seconds, threads: 1);
    }

    /// <summary>Decodes, letting only the codec's own refusal through: anything else fails the test.</summary>
    public static void AcceptOrRefuse<TRefusal>(Func<object> decode) where TRefusal : Exception
    {
        try
        {
            decode();
        }
        catch (TRefusal)
        {
            // the codec's own refusal: what a malformed message must get
        }
    }

    /// <summary>How many of 500 mutated inputs the decoder refuses: a fuzz run that only ever saw valid input would prove nothing.</summary>
    public static int Refused<TRefusal>(this Gen<byte[]> input, Action<byte[]> decode) where TRefusal : Exception
    {
        var refused = 0;
        input.Sample(bytes =>
        {
            try { decode(bytes); }
            catch (TRefusal) { refused++; }
        }, iter: 500, threads: 1);
        return refused;
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
