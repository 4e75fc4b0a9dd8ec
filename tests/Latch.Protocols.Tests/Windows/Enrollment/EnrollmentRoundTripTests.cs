using System.Text;
using Latch.Protocols.Windows.Enrollment;

namespace Latch.Protocols.Tests.Windows.Enrollment;

// Each message the server or the simulator writes reads back to the same fields, and each vector survives
// decode → encode → decode. Raw is the only field that differs (it is the bytes decoded).
public sealed class EnrollmentRoundTripTests
{
    [Fact]
    public void DiscoverRequest_RoundTrips()
    {
        var request = new DiscoverRequest
        {
            MessageId = "urn:uuid:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
            To = "https://enterpriseenrollment.example.com/EnrollmentServer/Discovery.svc",
            EmailAddress = "ada@example.com",
            RequestVersion = "5.0",
            DeviceType = "CIMClient_Windows",
            ApplicationVersion = "10.0.22631.2428",
            OSEdition = "48",
            OSVersion = "10.0.22631.2428",
            AuthPolicies = [EnrollmentAuthPolicies.OnPremise, EnrollmentAuthPolicies.Federated, EnrollmentAuthPolicies.Certificate],
        };

        var decoded = DiscoverRequest.Decode(request.Encode());

        Assert.Equal(request.AuthPolicies, decoded.AuthPolicies);
        Assert.Equal(request with { AuthPolicies = decoded.AuthPolicies, Raw = decoded.Raw }, decoded);
    }

    [Fact]
    public void DiscoverRequest_OldShapeWithoutDeviceFacts_RoundTrips()
    {
        var request = new DiscoverRequest { MessageId = "urn:uuid:1", To = "https://e/Discovery.svc", EmailAddress = "a@e", RequestVersion = "2.0" };

        var decoded = DiscoverRequest.Decode(request.Encode());

        Assert.Null(decoded.DeviceType);
        Assert.Null(decoded.OSEdition);
        Assert.Empty(decoded.AuthPolicies);
        Assert.Equal(request with { AuthPolicies = decoded.AuthPolicies, Raw = decoded.Raw }, decoded);
    }

    [Theory]
    [InlineData(EnrollmentAuthPolicies.OnPremise, null)]
    [InlineData(EnrollmentAuthPolicies.Federated, "https://latch.example.com/windows/auth?os=10.0.22631")]
    public void DiscoverResponse_RoundTrips(string policy, string? authenticationUrl)
    {
        var response = new DiscoverResponse
        {
            RelatesTo = "urn:uuid:1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed",
            AuthPolicy = policy,
            EnrollmentVersion = "4.0",
            EnrollmentPolicyServiceUrl = "https://latch.example.com/EnrollmentServer/Policy.svc",
            EnrollmentServiceUrl = "https://latch.example.com/EnrollmentServer/Enrollment.svc",
            AuthenticationServiceUrl = authenticationUrl,
        };

        var bytes = response.Encode();
        var decoded = DiscoverResponse.Decode(bytes);

        Assert.Equal(response with { Raw = decoded.Raw }, decoded);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action s:mustUnderstand=\"1\">", text, StringComparison.Ordinal);
        Assert.Contains("<DiscoverResponse xmlns=\"http://schemas.microsoft.com/windows/management/2012/01/enrollment\"><DiscoverResult><AuthPolicy>", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Credentials))]
    public void GetPoliciesRequest_RoundTripsEachCredentialKind(EnrollmentCredentials credentials)
    {
        var request = new GetPoliciesRequest { MessageId = "urn:uuid:2", To = "https://latch.example.com/EnrollmentServer/Policy.svc", Credentials = credentials };

        var decoded = GetPoliciesRequest.Decode(request.Encode());

        Assert.Equal(credentials.Username, decoded.Credentials.Username);
        Assert.Equal(credentials.Password, decoded.Credentials.Password);
        Assert.Equal(credentials.FederatedToken, decoded.Credentials.FederatedToken);
        Assert.Equal(request.MessageId, decoded.MessageId);
        Assert.Equal(request.To, decoded.To);
    }

    public static TheoryData<EnrollmentCredentials> Credentials() => new()
    {
        new EnrollmentCredentials { Username = "ada@example.com", Password = "ENROL-1234-5678" },
        new EnrollmentCredentials { FederatedToken = "latch.opaque-token.éü✓" },
        EnrollmentCredentials.None,
    };

    [Fact]
    public void GetPoliciesRequest_FederatedToken_IsBase64OnTheWire()
    {
        var bytes = new GetPoliciesRequest { MessageId = "urn:uuid:2", To = "https://e/p", Credentials = new EnrollmentCredentials { FederatedToken = "abc" } }.Encode();

        var text = Encoding.UTF8.GetString(bytes);

        Assert.Contains($"ValueType=\"{EnrollmentSoap.UserTokenValueType}\" EncodingType=\"{EnrollmentSoap.Base64BinaryEncodingType}\">YWJj</wsse:BinarySecurityToken>", text, StringComparison.Ordinal);
    }

    [Fact]
    public void GetPoliciesResponse_RoundTrips()
    {
        var response = new GetPoliciesResponse
        {
            RelatesTo = "urn:uuid:2",
            CommonName = "Latch device",
            ValidityPeriodSeconds = 31_536_000,
            RenewalPeriodSeconds = 3_888_000,
            MinimalKeyLength = 3072,
            PolicyOid = "1.3.6.1.4.1.311.21.8.1.2.3",
        };

        var decoded = GetPoliciesResponse.Decode(response.Encode());

        Assert.Equal(response with { Raw = decoded.Raw }, decoded);
        Assert.Equal(GetPoliciesResponse.Sha256Oid, decoded.HashAlgorithmOid);
    }

    [Fact]
    public void GetPoliciesResponse_Defaults_RoundTrip()
    {
        var response = new GetPoliciesResponse { RelatesTo = "urn:uuid:3" };

        var decoded = GetPoliciesResponse.Decode(response.Encode());

        Assert.Equal(response with { Raw = decoded.Raw }, decoded);
        Assert.Equal(2048, decoded.MinimalKeyLength);
        Assert.Equal("2.16.840.1.101.3.4.2.1", decoded.HashAlgorithmOid);
    }

    [Fact]
    public void RequestSecurityTokenRequest_RoundTripsContextInOrderWithRepeats()
    {
        var request = new RequestSecurityTokenRequest
        {
            MessageId = "urn:uuid:4",
            To = "https://latch.example.com/EnrollmentServer/Enrollment.svc",
            Credentials = new EnrollmentCredentials { Username = "ada@example.com", Password = "code" },
            CertificateRequest = [0x30, 0x82, 0x01, 0x02, 0xFF],
            ContextItems =
            [
                new("DeviceType", "CIMClient_Windows"), new("MAC", "00-11-22-33-44-55"), new("MAC", "66-77-88-99-AA-BB"),
                new("EnrollmentType", "Device"), new("DeviceID", "B5B954E81FBCB94EB79BD08BE625F4EE"),
            ],
        };

        var decoded = RequestSecurityTokenRequest.Decode(request.Encode());

        Assert.Equal(request.ContextItems, decoded.ContextItems);
        Assert.Equal(request.CertificateRequest, decoded.CertificateRequest);
        Assert.Equal(request.Credentials, decoded.Credentials);
        Assert.Equal("Device", decoded.Context["enrollmenttype"]);
        Assert.Equal("00-11-22-33-44-55", decoded.Context["MAC"]);
        Assert.Equal(request.MessageId, decoded.MessageId);
        Assert.Equal(request.To, decoded.To);
        Assert.Equal(request.TokenType, decoded.TokenType);
        Assert.Equal(request.RequestType, decoded.RequestType);
        Assert.Equal(request.BinarySecurityTokenValueType, decoded.BinarySecurityTokenValueType);
    }

    [Fact]
    public void RequestSecurityTokenRequest_RenewalFromContextDictionary_RoundTrips()
    {
        var request = new RequestSecurityTokenRequest
        {
            MessageId = "urn:uuid:5",
            To = "https://e/Enrollment.svc",
            RequestType = EnrollmentSoap.RenewRequestType,
            BinarySecurityTokenValueType = EnrollmentSoap.Pkcs7ValueType,
            CertificateRequest = [1, 2, 3],
            Context = new Dictionary<string, string> { ["DeviceType"] = "CIMClient_Windows", ["ApplicationVersion"] = "10.0.22631.1" },
        };

        var decoded = RequestSecurityTokenRequest.Decode(request.Encode());

        Assert.True(decoded.IsRenewal);
        Assert.True(decoded.Credentials.IsEmpty);
        Assert.Equal(EnrollmentSoap.Pkcs7ValueType, decoded.BinarySecurityTokenValueType);
        Assert.Equal(request.Context.OrderBy(p => p.Key), decoded.Context.OrderBy(p => p.Key));
    }

    [Fact]
    public void RequestSecurityTokenResponse_RoundTrips()
    {
        var response = new RequestSecurityTokenResponse
        {
            RelatesTo = "urn:uuid:4",
            ProvisioningDocument = "<wap-provisioningdoc version=\"1.1\"><characteristic type=\"APPLICATION\"><parm name=\"ADDR\" value=\"https://e/x?a=1&amp;b=2\" /></characteristic></wap-provisioningdoc>",
            Created = new DateTimeOffset(2026, 12, 2, 10, 0, 0, 125, TimeSpan.Zero),
            Expires = new DateTimeOffset(2026, 12, 2, 10, 5, 0, 125, TimeSpan.Zero),
        };

        var bytes = response.Encode();
        var decoded = RequestSecurityTokenResponse.Decode(bytes);

        Assert.Equal(response with { Raw = decoded.Raw }, decoded);
        Assert.Contains($"ValueType=\"{EnrollmentSoap.ProvisionDocValueType}\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s:Receiver", EnrollmentFaultSubcodes.Authorization, EnrollmentErrorTypes.DeviceCapReached, "trace-1")]
    [InlineData("s:Sender", EnrollmentFaultSubcodes.InvalidSecurity, null, null)]
    [InlineData("s:Receiver", EnrollmentFaultSubcodes.InternalServiceFault, null, "trace-2")]
    public void EnrollmentFault_RoundTrips(string code, string subcode, string? errorType, string? traceId)
    {
        var fault = new EnrollmentFault
        {
            Action = EnrollmentSoap.RequestSecurityTokenResponseAction,
            RelatesTo = "urn:uuid:4",
            Code = code,
            Subcode = subcode,
            Reason = "The enrolment code is not valid.",
            ErrorType = errorType,
            TraceId = traceId,
        };

        var bytes = fault.Encode();
        var decoded = EnrollmentFault.Decode(bytes);

        Assert.Equal(fault with { Raw = decoded.Raw }, decoded);
        Assert.Contains("<s:Text xml:lang=\"en-US\">The enrolment code is not valid.</s:Text>", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void EnrollmentFault_OtherPrefixes_AreNormalisedToTheSpecsOwn()
    {
        var xml = """
            <e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://www.w3.org/2005/08/addressing">
              <e:Body><e:Fault><e:Code><e:Value>e:Sender</e:Value><e:Subcode><e:Value>w:InvalidSecurity</e:Value></e:Subcode></e:Code>
              <e:Reason><e:Text xml:lang="en-US">no</e:Text></e:Reason></e:Fault></e:Body>
            </e:Envelope>
            """;

        var fault = EnrollmentFault.Decode(Encoding.UTF8.GetBytes(xml));

        Assert.Equal("s:Sender", fault.Code);
        Assert.Equal(EnrollmentFaultSubcodes.InvalidSecurity, fault.Subcode);
        Assert.Null(fault.RelatesTo);
        Assert.Equal(EnrollmentSoap.FaultAction, fault.Action);
    }

    [Fact]
    public void WapProvisioningDoc_RoundTrips()
    {
        var document = new WapProvisioningDoc("1.1",
        [
            new WapCharacteristic("APPLICATION", [new("APPID", "w7"), new("ADDR", "https://e/x?a=1&b=\"2\""), new("BACKCOMPATRETRYDISABLED", "")], []),
            new WapCharacteristic("DMClient", [], [new WapCharacteristic("Provider", [], [new WapCharacteristic("Latch", [new("EntDeviceName", "ada's PC", "string")], [])])]),
        ]);

        var decoded = WapProvisioningDoc.Decode(document.Encode());

        Assert.Equal(document.Encode(), decoded.Encode());
        Assert.Equal(new WapParm("EntDeviceName", "ada's PC", "string"), decoded.Find("DMClient", "Provider", "Latch")!.Parm("EntDeviceName"));
        Assert.Equal("https://e/x?a=1&b=\"2\"", decoded.Find("APPLICATION")!.Parm("ADDR")!.Value);
    }

    [Theory]
    [MemberData(nameof(RequestVectors))]
    public void EveryRequestVector_SurvivesDecodeEncodeDecode(string name)
    {
        var bytes = EnrollmentVectors.Bytes(name);
        object first = name.Contains("discover", StringComparison.Ordinal) ? DiscoverRequest.Decode(bytes)
            : name.Contains("getpolicies", StringComparison.Ordinal) ? GetPoliciesRequest.Decode(bytes)
            : RequestSecurityTokenRequest.Decode(bytes);

        switch (first)
        {
            case DiscoverRequest d:
                var d2 = DiscoverRequest.Decode(d.Encode());
                Assert.Equal(d with { AuthPolicies = d2.AuthPolicies, Raw = d2.Raw }, d2);
                Assert.Equal(d.AuthPolicies, d2.AuthPolicies);
                break;
            case GetPoliciesRequest g:
                Assert.Equal(g with { Raw = default }, GetPoliciesRequest.Decode(g.Encode()) with { Raw = default });
                break;
            case RequestSecurityTokenRequest r:
                var r2 = RequestSecurityTokenRequest.Decode(r.Encode());
                Assert.Equal(r.ContextItems, r2.ContextItems);
                Assert.Equal(r.CertificateRequest, r2.CertificateRequest);
                Assert.Equal(r.Credentials, r2.Credentials);
                Assert.Equal((r.MessageId, r.To, r.TokenType, r.RequestType, r.BinarySecurityTokenValueType), (r2.MessageId, r2.To, r2.TokenType, r2.RequestType, r2.BinarySecurityTokenValueType));
                break;
        }
    }

    public static TheoryData<string> RequestVectors() => new(EnrollmentVectors.XmlNames().Where(n => n.Contains("-device-", StringComparison.Ordinal) || n is "07-spec-discover-v3.xml" or "09-spec-getpolicies-federated.xml" or "11-spec-rst-federated.xml" or "12-spec-rst-renewal.xml"));

    [Fact]
    public void ResponseVectors_SurviveDecodeEncodeDecode()
    {
        var discover = DiscoverResponse.Decode(EnrollmentVectors.Bytes("08-spec-discover-response-federated.xml"));
        Assert.Equal(discover with { Raw = default }, DiscoverResponse.Decode(discover.Encode()) with { Raw = default });

        var policies = GetPoliciesResponse.Decode(EnrollmentVectors.Bytes("10-spec-getpolicies-response.xml"));
        Assert.Equal(policies with { Raw = default }, GetPoliciesResponse.Decode(policies.Encode()) with { Raw = default });

        var rstr = RequestSecurityTokenResponse.Decode(EnrollmentVectors.Bytes("06-server-rstr-provisioningdoc.xml"));
        Assert.Equal(rstr with { Raw = default }, RequestSecurityTokenResponse.Decode(rstr.Encode()) with { Raw = default });

        var fault = EnrollmentFault.Decode(EnrollmentVectors.Bytes("13-spec-fault-devicecapreached.xml"));
        Assert.Equal(fault with { Raw = default }, EnrollmentFault.Decode(fault.Encode()) with { Raw = default });
    }
}
