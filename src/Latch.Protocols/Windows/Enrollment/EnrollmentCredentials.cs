using System.Text;
using System.Xml.Linq;
using static Latch.Protocols.Windows.Enrollment.EnrollmentXml;

namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// What the wsse:Security header of GetPolicies and RequestSecurityToken proves (MS-MDE2 §3.3, WS-Security):
/// OnPremise sends a UsernameToken (the UPN and the password, for Latch the enrolment code); Federated sends the
/// token the web authentication broker returned, base64 in a BinarySecurityToken of ValueType
/// <see cref="EnrollmentSoap.UserTokenValueType"/>; Certificate sends no header at all (all members null).
/// </summary>
public sealed record EnrollmentCredentials
{
    public static EnrollmentCredentials None { get; } = new();

    public string? Username { get; init; }

    /// <summary>Empty, not null, when the UsernameToken has an empty Password (renewal requests do).</summary>
    public string? Password { get; init; }

    /// <summary>The federated token as the broker returned it: the BinarySecurityToken's base64, decoded as UTF-8.</summary>
    public string? FederatedToken { get; init; }

    /// <summary>The header token's ValueType; null when there is none. Encoding writes <see cref="EnrollmentSoap.UserTokenValueType"/> when unset.</summary>
    public string? FederatedTokenValueType { get; init; }

    public bool IsEmpty => Username is null && Password is null && FederatedToken is null;

    internal static EnrollmentCredentials Read(XElement header)
    {
        var security = header.Element(Wsse + "Security");
        if (security is null)
        {
            return None;
        }

        string? username = null, password = null, token = null, valueType = null;
        if (security.Element(Wsse + "UsernameToken") is { } usernameToken)
        {
            username = usernameToken.RequiredText(Wsse + "Username");
            password = usernameToken.Element(Wsse + "Password")?.Value.Trim();
        }

        if (security.Element(Wsse + "BinarySecurityToken") is { } binary)
        {
            RequireBase64Encoding(binary);
            valueType = binary.SecurityAttribute("ValueType")?.Trim();
            var text = binary.Value.Trim();
            if (text.Length == 0)
            {
                throw new EnrollmentFormatException("The wsse:Security BinarySecurityToken is empty.");
            }

            token = Utf8(Base64(text, "The wsse:Security BinarySecurityToken"), "The federated token");
        }

        return new EnrollmentCredentials { Username = username, Password = password, FederatedToken = token, FederatedTokenValueType = valueType };
    }

    internal XElement? ToSecurityHeader()
    {
        if (IsEmpty)
        {
            return null;
        }

        var security = SoapEnvelope.MustUnderstand(new XElement(Wsse + "Security"));
        if (Username is not null || Password is not null)
        {
            security.Add(new XElement(
                Wsse + "UsernameToken",
                new XElement(Wsse + "Username", Username ?? ""),
                new XElement(Wsse + "Password", new XAttribute(Wsse + "Type", EnrollmentSoap.PasswordTextType), Password ?? "")));
        }

        if (FederatedToken is not null)
        {
            security.Add(new XElement(
                Wsse + "BinarySecurityToken",
                new XAttribute("ValueType", FederatedTokenValueType ?? EnrollmentSoap.UserTokenValueType),
                new XAttribute("EncodingType", EnrollmentSoap.Base64BinaryEncodingType),
                Convert.ToBase64String(Encoding.UTF8.GetBytes(FederatedToken))));
        }

        return security;
    }

    internal static XAttribute[] Namespaces =>
    [
        new(XNamespace.Xmlns + "u", U.NamespaceName),
        new(XNamespace.Xmlns + "wsse", Wsse.NamespaceName),
    ];
}
