using System.Text;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Protocols.Tests.Windows.Enrollment;

// What a broken or hostile sender gets: an EnrollmentFormatException that says what is wrong, never another error.
public sealed class EnrollmentMalformedTests
{
    private static byte[] Vector(string name, Func<string, string> change)
    {
        var text = EnrollmentVectors.Text(name);
        var changed = change(text);
        Assert.NotEqual(text, changed); // the edit must hit, or the test proves nothing
        return Encoding.UTF8.GetBytes(changed);
    }

    private static void Refused(Func<object> decode, string expected)
    {
        var error = Assert.Throws<EnrollmentFormatException>(decode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_IsRefused() => Refused(() => DiscoverRequest.Decode(Array.Empty<byte>()), "empty");

    [Fact]
    public void NotXml_IsRefused() => Refused(() => GetPoliciesRequest.Decode("not xml"u8.ToArray()), "Malformed XML");

    [Fact]
    public void Dtd_IsRefusedNotExpanded()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&x;</s:Body></s:Envelope>";
        Refused(() => DiscoverRequest.Decode(Encoding.UTF8.GetBytes(xml)), "DTD");
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        var xml = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>" + string.Concat(Enumerable.Repeat("<x>", 100)) + string.Concat(Enumerable.Repeat("</x>", 100)) + "</s:Body></s:Envelope>";
        Refused(() => DiscoverRequest.Decode(Encoding.UTF8.GetBytes(xml)), "deeper than");
    }

    [Fact]
    public void Oversized_IsRefused() => Refused(() => DiscoverRequest.Decode(new byte[(1 << 20) + 1]), "at most");

    [Fact]
    public void Soap11Envelope_IsRefusedAsNotSoap12() => Refused(
        () => RequestSecurityTokenResponse.Decode(Vector("06-server-rstr-provisioningdoc.xml", t => t.Replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/", StringComparison.Ordinal))),
        "SOAP 1.2");

    [Fact]
    public void WrongAction_IsRefused() => Refused(
        () => DiscoverRequest.Decode(Vector("01-device-discover-v4.xml", t => t.Replace("IDiscoveryService/Discover<", "IDiscoveryService/DiscoverResponse<", StringComparison.Ordinal))),
        "is not a Discover request's");

    [Fact]
    public void AnotherMessage_IsRefusedByEachDecoder()
    {
        var rst = EnrollmentVectors.Bytes("05-device-rst-onpremise-pkcs10.xml");
        Refused(() => DiscoverRequest.Decode(rst), "Action");
        Refused(() => GetPoliciesRequest.Decode(rst), "Action");
        Refused(() => RequestSecurityTokenResponse.Decode(rst), "Action");
        Refused(() => EnrollmentFault.Decode(rst), "not a SOAP 1.2 <s:Fault>");
        Refused(() => RequestSecurityTokenRequest.Decode(EnrollmentVectors.Bytes("03-device-getpolicies-onpremise.xml")), "Action");
    }

    [Fact]
    public void MissingAction_IsRefused() => Refused(
        () => GetPoliciesRequest.Decode(Vector("03-device-getpolicies-onpremise.xml", t => t.Replace("<a:Action s:mustUnderstand=\"1\">http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies</a:Action>", "", StringComparison.Ordinal))),
        "no <a:Action>");

    [Fact]
    public void MissingMessageId_IsRefused() => Refused(
        () => DiscoverRequest.Decode(Vector("01-device-discover-v4.xml", t => t.Replace("<a:MessageID>urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478</a:MessageID>", "", StringComparison.Ordinal))),
        "<MessageID>");

    [Fact]
    public void MissingEmailAddress_IsRefused() => Refused(
        () => DiscoverRequest.Decode(Vector("01-device-discover-v4.xml", t => t.Replace("<EmailAddress>demo@fleetdm.ngrok.io</EmailAddress>", "", StringComparison.Ordinal))),
        "<EmailAddress>");

    [Fact]
    public void MissingEnrollmentServiceUrl_IsRefused() => Refused(
        () => DiscoverResponse.Decode(Vector("02-server-discover-response.xml", t => t.Replace("EnrollmentServiceUrl>", "X>", StringComparison.Ordinal))),
        "<EnrollmentServiceUrl>");

    [Fact]
    public void BadBase64CertificateRequest_IsRefused() => Refused(
        () => RequestSecurityTokenRequest.Decode(Vector("05-device-rst-onpremise-pkcs10.xml", t => t.Replace(">MIICzjCC", ">!!!zjCC", StringComparison.Ordinal))),
        "not valid base64");

    [Fact]
    public void UnknownCertificateRequestValueType_IsRefused() => Refused(
        () => RequestSecurityTokenRequest.Decode(Vector("05-device-rst-onpremise-pkcs10.xml", t => t.Replace("enrollment#PKCS10", "enrollment#X509", StringComparison.Ordinal))),
        "neither PKCS#10 nor PKCS#7");

    [Fact]
    public void UnknownRequestType_IsRefused() => Refused(
        () => RequestSecurityTokenRequest.Decode(Vector("05-device-rst-onpremise-pkcs10.xml", t => t.Replace("200512/Issue", "200512/Cancel", StringComparison.Ordinal))),
        "neither Issue nor Renew");

    [Fact]
    public void OtherEncodingType_IsRefused() => Refused(
        () => RequestSecurityTokenRequest.Decode(Vector("05-device-rst-onpremise-pkcs10.xml", t => t.Replace("#base64binary", "#hexbinary", StringComparison.Ordinal))),
        "EncodingType");

    [Fact]
    public void ContextItemWithoutName_IsRefused() => Refused(
        () => RequestSecurityTokenRequest.Decode(Vector("05-device-rst-onpremise-pkcs10.xml", t => t.Replace("Name=\"Locale\"", "", StringComparison.Ordinal))),
        "no Name");

    [Fact]
    public void BadBase64FederatedToken_IsRefused() => Refused(
        () => GetPoliciesRequest.Decode(Vector("09-spec-getpolicies-federated.xml", t => t.Replace("QjY0RW5jb2RlZFNhbXBsZUJpbmFyeVNlY3VyaXR5VG9rZW4=", "B64EncodedSampleBinarySecurityToken", StringComparison.Ordinal))),
        "not valid base64");

    [Fact]
    public void UsernameTokenWithoutUsername_IsRefused() => Refused(
        () => GetPoliciesRequest.Decode(Vector("03-device-getpolicies-onpremise.xml", t => t.Replace("<wsse:Username>demio</wsse:Username>", "", StringComparison.Ordinal))),
        "<Username>");

    [Fact]
    public void PolicyWithoutKeyLength_IsRefused() => Refused(
        () => GetPoliciesResponse.Decode(Vector("10-spec-getpolicies-response.xml", t => t.Replace("<minimalKeyLength>2048</minimalKeyLength>", "", StringComparison.Ordinal))),
        "<minimalKeyLength>");

    [Fact]
    public void PolicyKeyLengthNotANumber_IsRefused() => Refused(
        () => GetPoliciesResponse.Decode(Vector("10-spec-getpolicies-response.xml", t => t.Replace("<minimalKeyLength>2048", "<minimalKeyLength>big", StringComparison.Ordinal))),
        "not an integer");

    [Fact]
    public void HashReferenceToMissingOid_IsRefused() => Refused(
        () => GetPoliciesResponse.Decode(Vector("10-spec-getpolicies-response.xml", t => t.Replace("<hashAlgorithmOIDReference>0<", "<hashAlgorithmOIDReference>7<", StringComparison.Ordinal))),
        "oIDReferenceID 7");

    [Fact]
    public void RstrWithOtherValueType_IsRefused() => Refused(
        () => RequestSecurityTokenResponse.Decode(Vector("06-server-rstr-provisioningdoc.xml", t => t.Replace("DeviceEnrollmentProvisionDoc", "Other", StringComparison.Ordinal))),
        "ValueType");

    [Fact]
    public void TwoBodyElements_AreRefused() => Refused(
        () => DiscoverRequest.Decode(Vector("01-device-discover-v4.xml", t => t.Replace("</Discover>", "</Discover><Discover/>", StringComparison.Ordinal))),
        "exactly one element");

    [Fact]
    public void FaultWithoutReason_IsRefused() => Refused(
        () => EnrollmentFault.Decode(Vector("13-spec-fault-devicecapreached.xml", t => t.Replace("s:Reason", "s:Because", StringComparison.Ordinal))),
        "<Reason>");

    [Theory]
    [InlineData("<wap-provisioningdoc><characteristic type=\"A\"/></wap-provisioningdoc>", "no version")]
    [InlineData("<wap-provisioningdoc version=\"1.1\"><characteristic/></wap-provisioningdoc>", "no type")]
    [InlineData("<wap-provisioningdoc version=\"1.1\"><characteristic type=\"A\"><parm value=\"x\"/></characteristic></wap-provisioningdoc>", "no name")]
    [InlineData("<wap-provisioningdoc version=\"1.1\"><nocharacteristic type=\"A\"/></wap-provisioningdoc>", "not supported")]
    [InlineData("<wap-provisioningdoc version=\"1.1\"><parm name=\"A\" value=\"x\"/></wap-provisioningdoc>", "only characteristics")]
    [InlineData("<provisioningdoc version=\"1.1\"/>", "root element")]
    [InlineData("", "empty")]
    public void MalformedProvisioningDoc_IsRefused(string xml, string expected) => Refused(() => WapProvisioningDoc.Decode(xml), expected);

    [Fact]
    public void ProvisioningWithoutAddr_IsRefusedByTheReader() => Refused(
        () => WindowsProvisioning.Read(new WapProvisioningDoc("1.1", [new WapCharacteristic("APPLICATION", [new("APPID", "w7")], [])])),
        "no ADDR");
}
