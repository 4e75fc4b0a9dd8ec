using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Protocols.Tests.Windows.Enrollment;

public sealed class EnrollmentVectorTests
{
    [Fact]
    public void Discover_Windows10Captured_DecodesVersion4Shape()
    {
        var bytes = EnrollmentVectors.Bytes("01-device-discover-v4.xml");

        var request = DiscoverRequest.Decode(bytes);

        Assert.Equal("urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478", request.MessageId);
        Assert.Equal("https://EnterpriseEnrollment.fleetdm.ngrok.io:443/EnrollmentServer/Discovery.svc", request.To);
        Assert.Equal("demo@fleetdm.ngrok.io", request.EmailAddress);
        Assert.Equal("4.0", request.RequestVersion);
        Assert.Equal("CIMClient_Windows", request.DeviceType);
        Assert.Equal("10.0.19043.2364", request.ApplicationVersion);
        Assert.Equal("72", request.OSEdition);
        Assert.Equal([EnrollmentAuthPolicies.OnPremise, EnrollmentAuthPolicies.Federated], request.AuthPolicies);
        Assert.True(request.Raw.Span.SequenceEqual(bytes));
    }

    [Fact]
    public void Discover_SpecVersion3_DecodesDespiteTrailingSlashNamespaceAndWhitespace()
    {
        var request = DiscoverRequest.Decode(EnrollmentVectors.Bytes("07-spec-discover-v3.xml"));

        Assert.Equal("urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478", request.MessageId);
        Assert.Equal("https://ENROLLTEST.CONTOSO.COM/EnrollmentServer/Discovery.svc", request.To);
        Assert.Equal("user@contoso.com", request.EmailAddress);
        Assert.Equal("3.0", request.RequestVersion);
        Assert.Equal("WindowsPhone", request.DeviceType);
        Assert.Equal("10.0.0.0", request.ApplicationVersion);
        Assert.Equal("3", request.OSEdition);
        Assert.Equal(["OnPremise", "Federated"], request.AuthPolicies);
    }

    [Fact]
    public void DiscoverResponse_FleetCaptured_DecodesOnPremiseUrls()
    {
        var response = DiscoverResponse.Decode(EnrollmentVectors.Bytes("02-server-discover-response.xml"));

        Assert.Equal("urn:uuid:748132ec-a575-4329-b01b-6171a9cf8478", response.RelatesTo);
        Assert.Equal(EnrollmentAuthPolicies.OnPremise, response.AuthPolicy);
        Assert.Equal("4.0", response.EnrollmentVersion);
        Assert.Equal("https://windows.fleetdm.ngrok.io/EnrollmentServer/Policy.svc", response.EnrollmentPolicyServiceUrl);
        Assert.Equal("https://windows.fleetdm.ngrok.io/EnrollmentServer/Enrollment.svc", response.EnrollmentServiceUrl);
        Assert.Null(response.AuthenticationServiceUrl);
    }

    [Fact]
    public void DiscoverResponse_SpecFederated_DecodesAuthenticationServiceUrl()
    {
        var response = DiscoverResponse.Decode(EnrollmentVectors.Bytes("08-spec-discover-response-federated.xml"));

        Assert.Equal("urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478", response.RelatesTo);
        Assert.Equal(EnrollmentAuthPolicies.Federated, response.AuthPolicy);
        Assert.Equal("3.0", response.EnrollmentVersion);
        Assert.Equal("https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC", response.EnrollmentPolicyServiceUrl);
        Assert.Equal("https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC", response.EnrollmentServiceUrl);
        Assert.Equal("https://portal.manage.contoso.com/LoginRedirect.aspx", response.AuthenticationServiceUrl);
    }

    [Fact]
    public void GetPolicies_Captured_DecodesUsernameToken()
    {
        var request = GetPoliciesRequest.Decode(EnrollmentVectors.Bytes("03-device-getpolicies-onpremise.xml"));

        Assert.Equal("urn:uuid:72048B64-0F19-448F-8C2E-B4C661860AA0", request.MessageId);
        Assert.Equal("https://windows.fleetdm.ngrok.io/EnrollmentServer/Policy.svc", request.To);
        Assert.Equal("demio", request.Credentials.Username);
        Assert.Equal("demo", request.Credentials.Password);
        Assert.Null(request.Credentials.FederatedToken);
    }

    [Fact]
    public void GetPolicies_SpecFederated_DecodesTheBase64Token()
    {
        var request = GetPoliciesRequest.Decode(EnrollmentVectors.Bytes("09-spec-getpolicies-federated.xml"));

        Assert.Null(request.Credentials.Username);
        Assert.Equal("B64EncodedSampleBinarySecurityToken", request.Credentials.FederatedToken);
        Assert.Equal(EnrollmentSoap.UserTokenValueType, request.Credentials.FederatedTokenValueType);
    }

    [Fact]
    public void GetPoliciesResponse_FleetCaptured_IsRefusedAsMalformedXml()
    {
        // <algorithmOIDReferencexsi:nil="true"/> is not well-formed; the server side must never produce this.
        var error = Assert.Throws<EnrollmentFormatException>(() => GetPoliciesResponse.Decode(EnrollmentVectors.Bytes("04-server-getpolicies-response-malformed.xml")));
        Assert.Contains("Malformed XML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetPoliciesResponse_Spec_ResolvesTheHashReferenceThroughOids()
    {
        var response = GetPoliciesResponse.Decode(EnrollmentVectors.Bytes("10-spec-getpolicies-response.xml"));

        Assert.Equal("urn:uuid: 69960163-adad-4a72-82d2-bb0e5cff5598", response.RelatesTo);
        Assert.Equal("", response.PolicyId);
        Assert.Null(response.PolicyFriendlyName);
        Assert.Null(response.NextUpdateHours);
        Assert.Equal("CEPUnitTest", response.CommonName);
        Assert.Equal(3, response.PolicySchema);
        Assert.Equal(1209600, response.ValidityPeriodSeconds);
        Assert.Equal(172800, response.RenewalPeriodSeconds);
        Assert.Equal(2048, response.MinimalKeyLength);
        Assert.Equal("1.3.14.3.2.29", response.HashAlgorithmOid);
        Assert.Null(response.PolicyOid); // the example's policyOIDReference points at the hash OID (group 1), not a template
    }

    [Fact]
    public void Rst_Captured_DecodesCredentialsPkcs10AndContext()
    {
        var request = RequestSecurityTokenRequest.Decode(EnrollmentVectors.Bytes("05-device-rst-onpremise-pkcs10.xml"));

        Assert.Equal("urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749", request.MessageId);
        Assert.Equal("https://windows.fleetdm.ngrok.io/EnrollmentServer/Enrollment.svc", request.To);
        Assert.Equal("demio", request.Credentials.Username);
        Assert.Equal("demo", request.Credentials.Password);
        Assert.Equal(EnrollmentSoap.DeviceEnrollmentTokenType, request.TokenType);
        Assert.Equal(EnrollmentSoap.IssueRequestType, request.RequestType);
        Assert.False(request.IsRenewal);
        Assert.Equal(EnrollmentSoap.Pkcs10ValueType, request.BinarySecurityTokenValueType);
        Assert.Equal(722, request.CertificateRequest.Length);
        Assert.Equal(0x30, request.CertificateRequest[0]);

        // The PKCS#10 is a real one: .NET reads it, a 2048-bit RSA key as the policy asked.
        var csr = CertificateRequest.LoadSigningRequest(request.CertificateRequest, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
        Assert.Equal("1.2.840.113549.1.1.1", csr.PublicKey.Oid.Value);
        Assert.Equal(2048, csr.PublicKey.GetRSAPublicKey()!.KeySize);

        Assert.Equal(18, request.ContextItems.Count);
        Assert.Equal(6, request.ContextItems.Count(i => i.Name == "MAC"));
        Assert.Equal("00-0C-29-51-60-9D", request.Context["MAC"]);
        Assert.Equal("Full", request.Context["EnrollmentType"]);
        Assert.Equal("full", request.Context["enrollmenttype"].ToLowerInvariant());
        Assert.Equal("B5B954E81FBCB94EB79BD08BE625F4EE", request.Context["DeviceID"]);
        Assert.Equal("3B3ED6D0EA88CBFCF37D36F90F22FE61172348C0162FC3840D6703149870CE76", request.Context["HWDevID"]);
        Assert.Equal("CIMClient_Windows", request.Context["DeviceType"]);
        Assert.Equal("10.0.19043.2364", request.Context["OSVersion"]);
        Assert.Equal("10.0.19043.2364", request.Context["ApplicationVersion"]);
        Assert.Equal("72", request.Context["OSEdition"]);
        Assert.Equal("DESKTOP-28FGAI6", request.Context["DeviceName"]);
        Assert.Equal("true", request.Context["UXInitiated"]);
        Assert.Equal("en-US", request.Context["Locale"]);
        Assert.Equal("false", request.Context["NotInOobe"]);
    }

    [Fact]
    public void Rst_SpecFederated_ReadsWsseQualifiedAttributesAndRepeatedItems()
    {
        var request = RequestSecurityTokenRequest.Decode(EnrollmentVectors.Bytes("11-spec-rst-federated.xml"));

        Assert.Equal("https://enrolltest.contoso.com:443/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC", request.To);
        Assert.Equal("B64EncodedSampleBinarySecurityToken", request.Credentials.FederatedToken);
        Assert.Equal(EnrollmentSoap.UserTokenValueType, request.Credentials.FederatedTokenValueType);
        Assert.Null(request.Credentials.Username);
        Assert.Equal(EnrollmentSoap.IssueRequestType, request.RequestType);
        Assert.Equal(722, request.CertificateRequest.Length);
        Assert.Equal("4", request.Context["OSEdition"]); // "<ac:Value> 4</ac:Value>" trimmed
        Assert.Equal(["49015420323756", "30215420323756"], request.ContextItems.Where(i => i.Name == "IMEI").Select(i => i.Value));
        Assert.Equal("7BA748C8-703E-4DF2-A74A-92984117346A", request.Context["DeviceID"]);
        Assert.Equal("True", request.Context["TargetedUserLoggedIn"]);
    }

    [Fact]
    public void Rst_SpecRenewal_IsRenewalWithPkcs7AndEmptyPassword()
    {
        var request = RequestSecurityTokenRequest.Decode(EnrollmentVectors.Bytes("12-spec-rst-renewal.xml"));

        Assert.True(request.IsRenewal);
        Assert.Equal(EnrollmentSoap.RenewRequestType, request.RequestType);
        Assert.Equal(EnrollmentSoap.Pkcs7SecurityValueType, request.BinarySecurityTokenValueType);
        Assert.Equal("BinarySecurityTokenInsertedHere"u8.ToArray(), request.CertificateRequest);
        Assert.Equal("user@contoso.com", request.Credentials.Username);
        Assert.Equal("", request.Credentials.Password);
        Assert.Equal("WindowsPhone", request.Context["DeviceType"]);
        Assert.Equal("5.0.7616.0", request.Context["ApplicationVersion"]);
    }

    [Fact]
    public void Rstr_FleetCaptured_DecodesTheProvisioningDocument()
    {
        var response = RequestSecurityTokenResponse.Decode(EnrollmentVectors.Bytes("06-server-rstr-provisioningdoc.xml"));

        Assert.Equal("urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749", response.RelatesTo);
        Assert.Equal(EnrollmentSoap.DeviceEnrollmentTokenType, response.TokenType);
        Assert.Equal("0", response.RequestId);
        Assert.Equal(new DateTimeOffset(2018, 11, 30, 0, 32, 59, 420, TimeSpan.Zero), response.Created);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?><wap-provisioningdoc version=\"1.1\">", response.ProvisioningDocument, StringComparison.Ordinal);

        var info = WindowsProvisioning.Read(response.ReadProvisioningDocument());

        Assert.Equal("DEMO MDM", info.ProviderId);
        Assert.Equal("https://windows.fleetdm.ngrok.io/ManagementServer/MDM.svc", info.ManagementUrl);
        Assert.Equal("D9A88E04AF18A4D399CEE62F2C71469C3AE1E675", info.RootThumbprint);
        Assert.Equal("8F2EBD13F3612D7C48C30E24CC73A88492613849", info.DeviceThumbprint);
        Assert.Equal(info.RootThumbprint, X509CertificateLoader.LoadCertificate(info.RootCertificate!).Thumbprint);
        Assert.Equal(info.DeviceThumbprint, X509CertificateLoader.LoadCertificate(info.DeviceCertificate!).Thumbprint);
        Assert.Null(info.PollIntervalMinutes); // Fleet's POC sets only NumberOfFirstRetries
        Assert.Null(info.PushPfn);
    }

    [Fact]
    public void Fault_SpecDeviceCapReached_DecodesCodesAndDetail()
    {
        var fault = EnrollmentFault.Decode(EnrollmentVectors.Bytes("13-spec-fault-devicecapreached.xml"));

        Assert.Equal(EnrollmentSoap.RequestSecurityTokenResponseAction, fault.Action);
        Assert.Equal("urn:uuid:urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749", fault.RelatesTo);
        Assert.Equal("s:Receiver", fault.Code);
        Assert.Equal(EnrollmentFaultSubcodes.Authorization, fault.Subcode);
        Assert.Equal("Device cap reached", fault.Reason);
        Assert.Equal(EnrollmentErrorTypes.DeviceCapReached, fault.ErrorType);
        Assert.Equal("2493ee37-beeb-4cb9-833c-cadde9067645", fault.TraceId);
    }

    [Fact]
    public void Rstr_DecodingAFault_RefusesWithTheFaultsReason()
    {
        var bytes = EnrollmentVectors.Bytes("13-spec-fault-devicecapreached.xml");

        var error = Assert.Throws<EnrollmentFormatException>(() => RequestSecurityTokenResponse.Decode(bytes));

        Assert.Contains("Device cap reached", error.Message, StringComparison.Ordinal);
        Assert.True(EnrollmentFault.TryDecode(bytes, out var fault));
        Assert.Equal("DeviceCapReached", fault!.ErrorType);
        Assert.False(EnrollmentFault.TryDecode(EnrollmentVectors.Bytes("06-server-rstr-provisioningdoc.xml"), out _));
    }

    [Fact]
    public void ProvisioningDoc_Spec_FindsEachBranchOfTheRepeatedCertificateStore()
    {
        var document = WapProvisioningDoc.Decode(EnrollmentVectors.Text("14-spec-provisioningdoc.xml"));

        Assert.Equal("1.1", document.Version);
        Assert.Equal("Encoded Root Cert Hash Inserted Here", Assert.Single(document.Find("CertificateStore", "Root", "System")!.Characteristics).Type);
        var user = document.Find("CertificateStore", "My", "User")!;
        Assert.Equal(["Encoded Root Cert Hash Inserted Here", "PrivateKeyContainer"], user.Characteristics.Select(c => c.Type));
        Assert.Equal(new WapParm("RenewPeriod", "60", "integer"), document.Find("CertificateStore", "My", "WSTEP", "Renew")!.Parm("RenewPeriod"));
        var application = document.Find("APPLICATION")!;
        Assert.Equal("https://DM.contoso.com:443/omadm/Windows.ashx", application.Parm("ADDR")!.Value);
        Assert.Equal("", application.Parm("BACKCOMPATRETRYDISABLED")!.Value);
        Assert.Equal("Subject=DC%3dcom%2cDC%3dmicrosoft%2cCN%3dUsers%2cCN%3dAdministrator&amp;Stores=My%5CUser", application.Parm("SSLCLIENTCERTSEARCHCRITERIA")!.Value);
        Assert.Equal(2, application.Characteristics.Count(c => c.Type == "APPAUTH"));
        Assert.Equal("1560", document.Find("DMClient", "Provider", "TestMDMServer", "Poll")!.Parm("IntervalForRemainingScheduledRetries")!.Value);
        Assert.Null(document.Find("CertificateStore", "Root", "User"));

        // Its certificates are placeholders, so the reader refuses them rather than inventing bytes.
        Assert.Throws<EnrollmentFormatException>(() => WindowsProvisioning.Read(document));
    }

    [Fact]
    public void EveryVector_IsListed()
    {
        Assert.Equal(14, EnrollmentVectors.XmlNames().Count());
        var sources = EnrollmentVectors.Text("SOURCES.md");
        Assert.All(EnrollmentVectors.XmlNames(), name => Assert.Contains(name, sources, StringComparison.Ordinal));
        Assert.DoesNotContain("\uFEFF", Encoding.UTF8.GetString(EnrollmentVectors.Bytes("01-device-discover-v4.xml")), StringComparison.Ordinal);
    }
}
