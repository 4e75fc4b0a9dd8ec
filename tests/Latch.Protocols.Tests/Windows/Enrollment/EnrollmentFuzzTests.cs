using System.Text;
using CsCheck;
using Latch.Protocols.Tests.Fuzz;
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

    private static readonly string[] Splices =
    [
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">", "</s:Envelope>", "<s:Body>", "</s:Body>", "<s:Header/>",
        "<s:Fault>", "</s:Fault>", "<a:Action>", "</a:Action>", "xmlns:a=\"http://www.w3.org/2005/08/addressing\"", "xmlns=\"\"",
        "<wsse:BinarySecurityToken>", "</wsse:BinarySecurityToken>", "ValueType=\"x\"", "<ac:ContextItem Name=\"MAC\">", "<ac:Value/>",
        "<characteristic type=\"A\">", "</characteristic>", "<parm name=\"ADDR\"/>", "xsi:nil=\"true\"", "<oIDReferenceID>0</oIDReferenceID>",
        "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1F600;", "&nosuch;", "<!DOCTYPE s [<!ENTITY a \"aaaa\">]>",
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "\uFEFF", "\u0000", "PD94bWwg", "====", "99999999999999999999", "urn:uuid:",
    ];

    private static readonly Gen<byte[]> Input = Mutations.Of(Seeds, Splices);

    [Fact]
    public void EveryDecoder_AcceptsOrRefusesWithItsOwnError_NeverCrashes()
    {
        Assert.NotEmpty(Seeds);
        Input.Sample(bytes =>
        {
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => DiscoverRequest.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => DiscoverResponse.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => GetPoliciesRequest.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => GetPoliciesResponse.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => RequestSecurityTokenRequest.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() =>
            {
                var response = RequestSecurityTokenResponse.Decode(bytes);
                return WindowsProvisioning.Read(response.ReadProvisioningDocument());
            });
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => EnrollmentFault.Decode(bytes));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => EnrollmentFault.TryDecode(bytes, out _));
            Mutations.AcceptOrRefuse<EnrollmentFormatException>(() => WindowsProvisioning.Read(WapProvisioningDoc.Decode(Encoding.UTF8.GetString(bytes))));
        }, cases: 2_000);
    }

    [Fact]
    public void TheMutationsChangeTheVectors_SoTheDecodersRefuseSomeOfThem()
    {
        // A run that only ever saw valid input would prove nothing: many mutated vectors must be refused.
        Assert.InRange(Input.Refused<EnrollmentFormatException>(bytes => RequestSecurityTokenRequest.Decode(bytes)), 100, 500);
    }
}
