namespace Latch.Core.Enrollment;

/// <summary>
/// A single-use, expiring code a user types when enrolling a device (Windows MS-MDE2 OnPremise / Federated; the
/// Android agent next). Latch users have no passwords: the code is what proves the enrolment is theirs. Only its HMAC
/// is stored (<see cref="Access.TokenHasher"/>); the code itself is shown once, to whoever issued it.
/// </summary>
public sealed class EnrollmentCode
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The user the code enrols devices for.</summary>
    public Guid UserId { get; init; }

    /// <summary>The known device the code was issued for, when an administrator issued it for one (a re-enrolment).</summary>
    public Guid? DeviceId { get; init; }

    public required string CodeHash { get; init; }
    public required string IssuedBy { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When an enrolment used it; a used code is refused.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}
