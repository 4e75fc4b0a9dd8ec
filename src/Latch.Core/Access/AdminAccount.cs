namespace Latch.Core.Access;

/// <summary>
/// A local sign-in for the console. The password is kept only as a salted, slow hash (the server uses ASP.NET Core
/// Identity's PBKDF2 hasher); the user name is stored lower-case so sign-in ignores case.
/// </summary>
public sealed class AdminAccount
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
    public required string UserName { get; init; }
    public AdminRole Role { get; set; }
    public required string PasswordHash { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>Wrong passwords since the last successful sign-in (or unlock).</summary>
    public int FailedSignIns { get; set; }

    /// <summary>
    /// Every sign-in cookie carries the stamp it was issued with; signing out gives the account a new one, so no cookie
    /// issued before (a copied one included) works after. Null until the first sign-out.
    /// </summary>
    public string? SessionStamp { get; set; }

    /// <summary>Locked after too many wrong passwords: no sign-in until then, unless an Administrator unlocks it.</summary>
    public DateTimeOffset? LockedUntil { get; set; }
}
