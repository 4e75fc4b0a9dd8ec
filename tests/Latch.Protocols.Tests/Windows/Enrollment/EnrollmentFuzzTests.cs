using System.Text;
using CsCheck;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Protocols.Tests.Windows.Enrollment;

/// <summary>
/// The enrolment codecs under mutated input, as CodecFuzzTests does for Apple: every enrolment vector, bent at
/// random (bytes flipped, dropped, repeated, cut short, SOAP and entity fragments spliced in), through every decoder
/// the server's or the simulator's bytes reach. A decoder may accept the message or refuse it with
/// <see cref="EnrollmentFormatException"/>; anything else fails. Bounded to a fixed number of cases, a few seconds;
/// set LATCH_FUZZ_SECONDS to run for longer.
/// </summary>
public sealed class EnrollmentFuzzTests
{
    private static readonly byte[][] Seeds = EnrollmentVectors.XmlNames().Select(EnrollmentVectors.Bytes).ToArray();

    private static readonly byte[][] Splices =
    [
        .. new[]
        {
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">", "</s:Envelope>", "<s:Body>", "</s:Body>", "<s:Header/>",
            "<s:Fault>", "</s:Fault>", "<a:Action>", "</a:Action>", "xmlns:a=\"http://www.w3.org/2005/08/addressing\"", "xmlns=\"\"",
            "<wsse:BinarySecurityToken>", "</wsse:BinarySecurityToken>", "ValueType=\"x\"", "<ac:ContextItem Name=\"MAC\">", "<ac:Value/>",
            "<characteristic type=\"A\">", "</characteristic>", "<parm name=\"ADDR\"/>", "xsi:nil=\"true\"", "<oIDReferenceID>0</oIDReferenceID>",
            "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!DOCTYPE s [<!ENTITY a \"aaaa\">]>",
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000", "PD94bWwg", "====", "99999999999999999999", "urn:uuid:",
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
            Decode(() => DiscoverRequest.Decode(bytes));
            Decode(() => DiscoverResponse.Decode(bytes));
            Decode(() => GetPoliciesRequest.Decode(bytes));
            Decode(() => GetPoliciesResponse.Decode(bytes));
            Decode(() => RequestSecurityTokenRequest.Decode(bytes));
            Decode(() =>
            {
                var response = RequestSecurityTokenResponse.Decode(bytes);
                return WindowsProvisioning.Read(response.ReadProvisioningDocument());
            });
            Decode(() => EnrollmentFault.Decode(bytes));
            Decode(() => EnrollmentFault.TryDecode(bytes, out _));
            Decode(() => WindowsProvisioning.Read(WapProvisioningDoc.Decode(Encoding.UTF8.GetString(bytes))));
        }, iter: seconds > 0 ? -1 : 2_000, time: seconds, threads: 1);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecodersRefuseSomeOfThem()
    {
        // A run that only ever saw valid input would prove nothing: many mutated vectors must be refused.
        var refused = 0;
        Input.Sample(bytes =>
        {
            try { RequestSecurityTokenRequest.Decode(bytes); }
            catch (EnrollmentFormatException) { refused++; }
        }, iter: 500, threads: 1);
        Assert.InRange(refused, 100, 500);
    }

    private static void Decode(Func<object> decode)
    {
        try
        {
            decode();
        }
        catch (EnrollmentFormatException)
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
