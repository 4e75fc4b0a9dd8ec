using System.Security.Cryptography;
using Latch.Core.Access;
using Latch.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Auth;

/// <summary>Local console accounts: create, check a password, disable. Hashing is ASP.NET Core Identity's (PBKDF2, salted).</summary>
public sealed class AdminAccounts(LatchDbContext db, IPasswordHasher<AdminAccount> hasher, TimeProvider clock)
{
    public const int MinimumPasswordLength = 12;

    /// <summary>The claim that ties a sign-in cookie to its account.</summary>
    public const string AccountClaim = "latch:account";

    /// <summary>The claim with the account's session stamp at sign-in (<see cref="AdminAccount.SessionStamp"/>).</summary>
    public const string StampClaim = "latch:stamp";

    /// <summary>Signing out: every cookie of the account issued so far stops working.</summary>
    public Task EndSessionsAsync(Guid id, CancellationToken cancellationToken = default) =>
        db.AdminAccounts.Where(a => a.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.SessionStamp, Convert.ToHexString(RandomNumberGenerator.GetBytes(16))), cancellationToken);

    public async Task<AdminAccount> CreateAsync(string userName, string password, AdminRole role, CancellationToken cancellationToken = default)
    {
        userName = Normalize(userName);
        if (userName.Length is 0 or > 200) throw new ArgumentException("A user name has 1 to 200 characters.", nameof(userName));
        if (password.Length < MinimumPasswordLength)
            throw new ArgumentException($"A password has at least {MinimumPasswordLength} characters.", nameof(password));
        if (await db.AdminAccounts.AnyAsync(a => a.UserName == userName, cancellationToken))
            throw new ArgumentException($"The user name '{userName}' is taken.", nameof(userName));

        var account = new AdminAccount { UserName = userName, Role = role, PasswordHash = "", CreatedAt = clock.GetUtcNow() };
        account.PasswordHash = hasher.HashPassword(account, password);
        db.AdminAccounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        return account;
    }

    /// <summary>
    /// The enabled, unlocked account with this name and password, or null. Takes as long for an unknown name as for a
    /// wrong password. A wrong password counts against the account; at <see cref="SignInThrottle.LockAfter"/> in a row it
    /// is locked for <see cref="SignInThrottle.LockFor"/> (<paramref name="locked"/> is then true, the first time).
    /// </summary>
    public async Task<(AdminAccount? Account, bool Locked)> VerifyAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        var normalized = Normalize(userName);
        var account = await db.AdminAccounts.FirstOrDefaultAsync(a => a.UserName == normalized, cancellationToken);
        var now = clock.GetUtcNow();
        if (account is null || account.DisabledAt is not null || account.LockedUntil > now)
        {
            hasher.VerifyHashedPassword(Decoy, DecoyHash, password);
            return (null, false);
        }
        var result = hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        if (result is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded)
        {
            var changed = result == PasswordVerificationResult.SuccessRehashNeeded || account.FailedSignIns > 0 || account.LockedUntil is not null;
            if (result == PasswordVerificationResult.SuccessRehashNeeded) account.PasswordHash = hasher.HashPassword(account, password);
            (account.FailedSignIns, account.LockedUntil) = (0, null);
            if (changed) await db.SaveChangesAsync(cancellationToken);
            return (account, false);
        }
        account.FailedSignIns++;
        var locks = account.FailedSignIns >= SignInThrottle.LockAfter;
        if (locks) (account.FailedSignIns, account.LockedUntil) = (0, now + SignInThrottle.LockFor);
        await db.SaveChangesAsync(cancellationToken);
        return (null, locks);
    }

    /// <summary>An Administrator lifts an account's lock: its user name, or null when there is no such account.</summary>
    public async Task<string?> UnlockAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var account = await db.AdminAccounts.FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null) return null;
        (account.FailedSignIns, account.LockedUntil) = (0, null);
        await db.SaveChangesAsync(cancellationToken);
        return account.UserName;
    }

    public async Task<IReadOnlyList<AdminAccount>> ListAsync(CancellationToken cancellationToken = default) =>
        await db.AdminAccounts.AsNoTracking().OrderBy(a => a.UserName).ToListAsync(cancellationToken);

    public async Task<bool> DisableAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.AdminAccounts.Where(a => a.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.DisabledAt, a => a.DisabledAt ?? clock.GetUtcNow()), cancellationToken) > 0;

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => db.AdminAccounts.AnyAsync(cancellationToken);

    public Task<AdminAccount?> FindEnabledAsync(Guid id, CancellationToken cancellationToken = default) =>
        db.AdminAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && a.DisabledAt == null, cancellationToken);

    public static string GeneratePassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    private static string Normalize(string userName) => userName.Trim().ToLowerInvariant();

    private static readonly AdminAccount Decoy = new() { UserName = "", PasswordHash = "" };
    private static readonly string DecoyHash = new PasswordHasher<AdminAccount>().HashPassword(Decoy, GeneratePassword());
}
