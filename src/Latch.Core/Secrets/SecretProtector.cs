using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Latch.Core.Secrets;

/// <summary>
/// Encrypts secrets kept at rest (temporary passcodes, unlock tokens, push credentials) with ASP.NET Core
/// Data Protection. The key ring lives where the server configures it; a secret never leaves here as plain
/// text except through <see cref="Unprotect"/>, whose callers audit the reveal.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Latch.Secrets.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string protectedSecret) => _protector.Unprotect(protectedSecret);
}

/// <summary>Temporary passcodes made by Latch (Android); Windows devices make their own and send it back.</summary>
public static class TemporaryPasscode
{
    public const int Length = 8;

    /// <summary>Eight digits from the cryptographic generator: numeric so every device keyboard can type it.</summary>
    public static string Generate() => RandomNumberGenerator.GetString("0123456789", Length);
}
