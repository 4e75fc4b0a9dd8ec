using System.Security.Cryptography;
using System.Text;
using Latch.Core.Data;
using Latch.Core.Secrets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Core.Access;

/// <summary>
/// Hashes admin API tokens with a key of the deployment's own (HMAC-SHA256). The key is random, kept in the database
/// encrypted with the Data Protection key ring (so every server of a deployment shares it), and never stored in the
/// clear: a copied database alone does not allow guessing tokens offline, even an operator's chosen one.
/// </summary>
public sealed class TokenHasher(IServiceScopeFactory scopes, SecretProtector secrets, TimeProvider clock) : IDisposable
{
    public const string SecretName = "api-tokens.hash-key";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    /// <summary>The stored form of a token: base64url of its HMAC (43 characters).</summary>
    public async ValueTask<string> HashAsync(string secret, CancellationToken cancellationToken = default)
    {
        var key = _key ?? await LoadAsync(cancellationToken);
        return Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(secret)));
    }

    /// <summary>How tokens were stored before keyed hashing (unsalted SHA-256, upper-case hex): found once, then re-stored.</summary>
    public static string LegacyHash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// Whether an operator's chosen token is strong enough to stand for an Administrator: at least
    /// <see cref="MinimumLength"/> characters, and not a repetition of a few (its characters' Shannon entropy over
    /// the whole token at least <see cref="MinimumEntropyBits"/> bits). Tokens Latch makes have 256 random bits.
    /// </summary>
    public static bool IsStrong(string secret) => secret.Length >= MinimumLength && EntropyBits(secret) >= MinimumEntropyBits;

    public const int MinimumLength = 24;
    public const int MinimumEntropyBits = 72;

    private static double EntropyBits(string secret) =>
        secret.GroupBy(c => c).Sum(g => -g.Count() * Math.Log2((double)g.Count() / secret.Length));

    private async Task<byte[]> LoadAsync(CancellationToken cancellationToken)
    {
        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (_key is { } loaded) return loaded;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            // When two servers start at once on a new database, only the first insert lands (the name is the primary
            // key); the other reads the winner's key back.
            var key = await ReadAsync(db, cancellationToken);
            if (key is null)
            {
                key = RandomNumberGenerator.GetBytes(32);
                db.StoredSecrets.Add(new StoredSecret { Name = SecretName, ProtectedValue = secrets.Protect(Convert.ToBase64String(key)), CreatedAt = clock.GetUtcNow() });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    db.ChangeTracker.Clear();
                    key = await ReadAsync(db, cancellationToken) ?? throw new InvalidOperationException("The API token hash key could not be stored.");
                }
            }
            return _key = key;
        }
        finally
        {
            _loading.Release();
        }
    }

    private async Task<byte[]?> ReadAsync(LatchDbContext db, CancellationToken cancellationToken)
    {
        if (await db.StoredSecrets.AsNoTracking().FirstOrDefaultAsync(s => s.Name == SecretName, cancellationToken) is not { } stored) return null;
        try
        {
            return Convert.FromBase64String(secrets.Unprotect(stored.ProtectedValue));
        }
        catch (CryptographicException exception)
        {
            throw new InvalidOperationException(
                $"The API token hash key stored in the database ('{SecretName}') cannot be decrypted with this server's Data " +
                "Protection key ring. Servers that share one database must share the key ring too.", exception);
        }
    }

    public void Dispose() => _loading.Dispose();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
