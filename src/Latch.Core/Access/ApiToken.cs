using System.Security.Cryptography;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Access;

/// <summary>What an administrator may do. Checked by the server on every request.</summary>
public enum AdminRole
{
    /// <summary>Everything, including tokens and accounts.</summary>
    Administrator,

    /// <summary>Read, remote lock, passcode reset, and see temporary passcodes.</summary>
    HelpDeskOperator,

    /// <summary>Read only; never sees temporary passcodes.</summary>
    ReadOnly,
}

/// <summary>
/// A bearer token for the admin API. Only a keyed hash of the token is stored (<see cref="TokenHasher"/>): Latch's own
/// tokens are 256-bit random values and an operator's chosen one must be strong, so a fast hash is enough, and the key
/// lives outside the database (encrypted with the key ring): a stolen database reveals no usable token.
/// </summary>
public sealed class ApiToken
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>Who or what uses it (a person's sign-in name or a script's name); recorded as the actor in the audit trail.</summary>
    public required string Name { get; init; }

    public AdminRole Role { get; init; }
    public required string TokenHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>Issues and checks admin API tokens.</summary>
public sealed class ApiTokens(LatchDbContext db, TokenHasher hasher, TimeProvider clock)
{
    /// <summary>Makes a token (or stores the given value) and returns the plain token, which is not kept anywhere.</summary>
    public async Task<(ApiToken Token, string Secret)> IssueAsync(string name, AdminRole role, string? secret = null,
        TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (secret is not null && !TokenHasher.IsStrong(secret))
            throw new ArgumentException(
                $"A token must have at least {TokenHasher.MinimumLength} characters and not repeat a few of them.", nameof(secret));
        secret ??= "latch_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow();
        var token = new ApiToken
        {
            Name = name, Role = role, TokenHash = await hasher.HashAsync(secret, cancellationToken), CreatedAt = now, ExpiresAt = now + lifetime,
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (token, secret);
    }

    /// <summary>The live token with this value, or null (unknown, expired or revoked).</summary>
    public async Task<ApiToken?> FindAsync(string secret, CancellationToken cancellationToken = default)
    {
        var token = await StoredAsync(secret, cancellationToken);
        var now = clock.GetUtcNow();
        return token is null || token.RevokedAt is not null || token.ExpiresAt <= now ? null : token;
    }

    // By its keyed hash; a token stored before keyed hashing is found by its old hash once and stored anew.
    private async Task<ApiToken?> StoredAsync(string secret, CancellationToken cancellationToken)
    {
        var hash = await hasher.HashAsync(secret, cancellationToken);
        if (await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken) is { } token) return token;
        var legacy = TokenHasher.LegacyHash(secret);
        if (await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == legacy, cancellationToken) is not { } old) return null;
        await db.ApiTokens.Where(t => t.Id == old.Id && t.TokenHash == legacy)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.TokenHash, hash), cancellationToken);
        return old;
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken = default) =>
        await db.ApiTokens.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken);

    /// <summary>Revokes a token; false when there is no such token. A revoked token stops working at once.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, clock.GetUtcNow()), cancellationToken) > 0
        || await db.ApiTokens.AnyAsync(t => t.Id == id, cancellationToken);

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => db.ApiTokens.AnyAsync(cancellationToken);

    public async Task<bool> ExistsAsync(string secret, CancellationToken cancellationToken = default) =>
        await StoredAsync(secret, cancellationToken) is not null;
}
