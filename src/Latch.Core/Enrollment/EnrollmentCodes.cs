using System.Security.Cryptography;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Core.Users;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Enrollment;

/// <summary>A code just issued: the code itself is in the answer only, never stored.</summary>
public sealed record IssuedEnrollmentCode(Guid Id, string Code, Guid UserId, string UserPrincipalName, DateTimeOffset ExpiresAt);

/// <summary>A code that checked out for a user, and what it was issued for.</summary>
public sealed record AcceptedEnrollmentCode(Guid Id, User User, Guid? DeviceId);

/// <summary>
/// Single-use, expiring enrolment codes: issued through the API for a user, typed by that user on the device together
/// with their user principal name, checked when the device asks for the enrolment policy, and used up when it asks
/// for its certificate. A code proves nothing for another user, and a used or expired one proves nothing at all.
/// </summary>
public sealed class EnrollmentCodes(LatchDbContext db, TokenHasher hasher, TimeProvider clock)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(30);

    // Crockford's base32 without I, L, O, U: 16 characters of it are 80 random bits, typed on a phone in four groups.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public async Task<IssuedEnrollmentCode> IssueAsync(User user, string issuedBy, TimeSpan? lifetime = null, Guid? deviceId = null,
        CancellationToken cancellationToken = default)
    {
        var life = lifetime ?? DefaultLifetime;
        if (life <= TimeSpan.Zero || life > MaximumLifetime)
            throw new ArgumentOutOfRangeException(nameof(lifetime), life, $"An enrolment code lives between a minute and {MaximumLifetime.TotalDays:0} days.");
        var now = clock.GetUtcNow();
        var code = NewCode();
        var record = new EnrollmentCode
        {
            UserId = user.Id, DeviceId = deviceId, CodeHash = await hasher.HashAsync(Normalize(code), cancellationToken),
            IssuedBy = issuedBy, IssuedAt = now, ExpiresAt = now + life,
        };
        db.EnrollmentCodes.Add(record);
        db.AuditEvents.Add(new AuditEvent
        {
            At = now, Actor = issuedBy, Kind = AuditKinds.EnrollmentCodeIssued, DeviceId = deviceId,
            Detail = $"Enrolment code {record.Id} issued for {user.UserPrincipalName}, valid until {record.ExpiresAt:yyyy-MM-dd HH:mm} UTC.",
        });
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedEnrollmentCode(record.Id, code, user.Id, user.UserPrincipalName, record.ExpiresAt);
    }

    /// <summary>The code for this user, unused and unexpired; or why not (the same words whichever part is wrong, so a guess learns nothing).</summary>
    public async Task<(AcceptedEnrollmentCode? Code, string? Refusal)> CheckAsync(string? userPrincipalName, string? code,
        CancellationToken cancellationToken = default)
    {
        const string refusal = "The user name or enrolment code is wrong, used already or expired. Ask for a new enrolment code.";
        if (string.IsNullOrWhiteSpace(userPrincipalName) || string.IsNullOrWhiteSpace(code) || code.Length > 64) return (null, refusal);
        var hash = await hasher.HashAsync(Normalize(code), cancellationToken);
        var now = clock.GetUtcNow();
        var found = await db.EnrollmentCodes.AsNoTracking().Where(c => c.CodeHash == hash)
            .Join(db.Users, c => c.UserId, u => u.Id, (c, u) => new { Code = c, User = u }).FirstOrDefaultAsync(cancellationToken);
        if (found is null || found.Code.UsedAt is not null || found.Code.ExpiresAt <= now
            || !string.Equals(found.User.UserPrincipalName, userPrincipalName.Trim(), StringComparison.OrdinalIgnoreCase))
            return (null, refusal);
        return (new AcceptedEnrollmentCode(found.Code.Id, found.User, found.Code.DeviceId), null);
    }

    /// <summary>Uses the code up; false when another enrolment used it first (or it expired meanwhile). Call inside the enrolment's transaction.</summary>
    public async Task<bool> UseAsync(Guid codeId, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        return await db.EnrollmentCodes.Where(c => c.Id == codeId && c.UsedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.UsedAt, now), cancellationToken) == 1;
    }

    private static string NewCode()
    {
        Span<char> code = stackalloc char[19];
        for (int i = 0, at = 0; i < 16; i++)
        {
            if (i > 0 && i % 4 == 0) code[at++] = '-';
            code[at++] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(code);
    }

    // What people type: any case, with or without the dashes and spaces, O for 0 and I or L for 1 (Crockford).
    private static string Normalize(string code) => new(code.Where(char.IsLetterOrDigit).Select(c => char.ToUpperInvariant(c) switch
    {
        'O' => '0',
        'I' or 'L' => '1',
        var other => other,
    }).ToArray());
}
