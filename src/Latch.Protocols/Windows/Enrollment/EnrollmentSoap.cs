namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// The wire constants of Windows enrolment: the media type, each message's WS-Addressing Action, the namespaces and
/// the token and value types. Copied from MS-MDE2 section 4 (examples), MS-XCEP and MS-WSTEP, never re-derived.
/// </summary>
public static class EnrollmentSoap
{
    /// <summary>Every enrolment message is SOAP 1.2 (MS-MDE2 §2.1); Windows adds <c>; charset=utf-8</c>.</summary>
    public const string ContentType = "application/soap+xml";

    // MS-MDE2 §3.1.4.1: the discovery service.
    public const string DiscoverAction = "http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover";
    public const string DiscoverResponseAction = "http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse";

    // MS-XCEP §3.1.4.1: the enrolment policy service.
    public const string GetPoliciesAction = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies";
    public const string GetPoliciesResponseAction = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse";

    // MS-WSTEP §3.1.4.1: the enrolment service.
    public const string RequestSecurityTokenAction = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep";
    public const string RequestSecurityTokenResponseAction = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep";

    /// <summary>
    /// WS-Addressing's default fault Action. MS-MDE2 §2.2.10's example instead answers a failed RST with the RSTRC
    /// Action; <see cref="EnrollmentFault.Action"/> lets the server choose.
    /// </summary>
    public const string FaultAction = "http://www.w3.org/2005/08/addressing/soap/fault";

    public const string SoapNamespace = "http://www.w3.org/2003/05/soap-envelope";
    public const string AddressingNamespace = "http://www.w3.org/2005/08/addressing";
    public const string AnonymousAddress = "http://www.w3.org/2005/08/addressing/anonymous";
    public const string SecurityNamespace = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    public const string SecurityUtilityNamespace = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    public const string TrustNamespace = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
    public const string DiscoveryNamespace = "http://schemas.microsoft.com/windows/management/2012/01/enrollment";
    public const string PolicyNamespace = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy";
    public const string EnrollmentNamespace = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment";

    /// <summary>Where every captured and documented RST puts AdditionalContext (MS-WSTEP §3.1.4.1.2.1).</summary>
    public const string AuthorizationNamespace = "http://schemas.xmlsoap.org/ws/2006/12/authorization";

    /// <summary>The wsse:Password Type for the OnPremise policy's UsernameToken.</summary>
    public const string PasswordTextType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

    /// <summary>The EncodingType of every BinarySecurityToken in enrolment.</summary>
    public const string Base64BinaryEncodingType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary";

    /// <summary>ValueType of the Federated policy's token in the wsse:Security header (MS-MDE2 §3.3.5, Windows docs).</summary>
    public const string UserTokenValueType = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken";

    /// <summary>The RST and RSTR TokenType: an enrolment token is more than an X.509 certificate.</summary>
    public const string DeviceEnrollmentTokenType = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken";

    /// <summary>ValueType of the RSTR's BinarySecurityToken: the wap-provisioningdoc, base64.</summary>
    public const string ProvisionDocValueType = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc";

    /// <summary>The same without "5.0.0.0/", as the Windows enrolment article's prose spells it; accepted, never written.</summary>
    public const string ProvisionDocValueTypeUnversioned = "http://schemas.microsoft.com/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc";

    /// <summary>ValueType of a first enrolment's certificate request (MS-WSTEP): DER PKCS#10, base64.</summary>
    public const string Pkcs10ValueType = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10";

    /// <summary>ValueType of a renewal's request (MS-WSTEP): a PKCS#7 signed with the current certificate.</summary>
    public const string Pkcs7ValueType = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7";

    /// <summary>The renewal ValueType as the Windows certificate-renewal article's example spells it; accepted.</summary>
    public const string Pkcs7SecurityValueType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#PKCS7";

    public const string IssueRequestType = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue";
    public const string RenewRequestType = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew";
}

/// <summary>The three values of DiscoveryResponse AuthPolicy (MS-MDE2 §3.1.4.1.3.2) and of a request's AuthPolicies.</summary>
public static class EnrollmentAuthPolicies
{
    /// <summary>The device sends a UsernameToken (UPN and password) to the policy and enrolment services.</summary>
    public const string OnPremise = "OnPremise";

    /// <summary>The device gets a token from AuthenticationServiceUrl (web authentication broker) and sends it as a BinarySecurityToken.</summary>
    public const string Federated = "Federated";

    /// <summary>The device authenticates with a certificate it already holds (TLS client certificate); no wsse:Security.</summary>
    public const string Certificate = "Certificate";
}
