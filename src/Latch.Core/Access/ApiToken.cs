using System.Security.Cryptography;
using System.Text;
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
/// A bearer token for the admin API. Only a SHA-256 hash of the token is stored: the tokens are 256-bit random
/// values, so a fast hash is enough (there is nothing to guess), and a stolen database reveals no usable token.
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
public sealed class ApiTokens(LatchDbContext db, TimeProvider clock)
{
    /// <summary>Makes a token (or stores the given value) and returns the plain token, which is not kept anywhere.</summary>
    public async Task<(ApiToken Token, string Secret)> IssueAsync(string name, AdminRole role, string? secret = null,
        TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (secret is not null && secret.Length < 16)
            throw new ArgumentException("A token must be at least 16 characters long.", nameof(secret));
        secret ??= "latch_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow();
        var token = new ApiToken { Name = name, Role = role, TokenHash = Hash(secret), CreatedAt = now, ExpiresAt = now + lifetime };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (token, secret);
    }

    /// <summary>The live token with this value, or null (unknown, expired or revoked).</summary>
    public async Task<ApiToken?> FindAsync(string secret, CancellationToken cancellationToken = default)
    {
        var hash = Hash(secret);
        var token = await db.ApiTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        var now = clock.GetUtcNow();
        return token is null || token.RevokedAt is not null || token.ExpiresAt <= now ? null : token;
    }

    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken = default) =>
        await db.ApiTokens.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken);

    /// <summary>Revokes a token; false when there is no such token. A revoked token stops working at once.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, clock.GetUtcNow()), cancellationToken) > 0
        || await db.ApiTokens.AnyAsync(t => t.Id == id, cancellationToken);

    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => db.ApiTokens.AnyAsync(cancellationToken);

    public Task<bool> ExistsAsync(string secret, CancellationToken cancellationToken = default)
    {
        var hash = Hash(secret);
        return db.ApiTokens.AnyAsync(t => t.TokenHash == hash, cancellationToken);
    }

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
