using Latch.Core.Enrollment;
using Latch.Protocols.Windows.Enrollment;
using Microsoft.AspNetCore.DataProtection;

namespace Latch.Server.Windows.Enrollment;

/// <summary>
/// Who is enrolling, from the WS-Security header of GetPolicies and RequestSecurityToken: OnPremise sends a
/// UsernameToken (the user principal name and the enrolment code as its password, MS-MDE2 §3.3.1.1); Federated sends
/// the token Latch's sign-in page gave the device (a BinarySecurityToken of type DeviceEnrollmentUserToken, §3.3.1.2).
/// Checking does not use the code up: only the signed certificate does (<see cref="WindowsEnrollments.EnrollAsync"/>).
/// </summary>
public sealed class WindowsEnrollmentCredentials(EnrollmentCodes codes, IDataProtectionProvider protection)
{
    /// <summary>How long a token from the sign-in page is good for: the device uses it seconds later.</summary>
    public static readonly TimeSpan FederatedTokenLifetime = TimeSpan.FromMinutes(15);

    private readonly ITimeLimitedDataProtector _tokens =
        protection.CreateProtector("Latch.Windows.FederatedEnrollmentToken.v1").ToTimeLimitedDataProtector();

    public Task<(AcceptedEnrollmentCode? Code, string? Refusal)> CheckAsync(EnrollmentCredentials credentials, CancellationToken cancellationToken)
    {
        if (credentials.FederatedToken is { } token)
        {
            string inside;
            try
            {
                inside = _tokens.Unprotect(token);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                return Task.FromResult<(AcceptedEnrollmentCode?, string?)>((null,
                    "The sign-in token is not one this server issued, or it expired; sign in again."));
            }
            var separator = inside.IndexOf('\n', StringComparison.Ordinal);
            return codes.CheckAsync(inside[..separator], inside[(separator + 1)..], cancellationToken);
        }
        if (credentials.Username is null || credentials.Password is null)
            return Task.FromResult<(AcceptedEnrollmentCode?, string?)>((null,
                "The request carries no credentials: enrol with your user principal name and an enrolment code."));
        return codes.CheckAsync(credentials.Username, credentials.Password, cancellationToken);
    }

    /// <summary>The token the sign-in page hands the device for a user and code it checked.</summary>
    public string IssueFederatedToken(string userPrincipalName, string code) =>
        _tokens.Protect($"{userPrincipalName.Trim()}\n{code}", FederatedTokenLifetime);
}
