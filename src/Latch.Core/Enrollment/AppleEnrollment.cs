namespace Latch.Core.Enrollment;

/// <summary>
/// One Apple enrolment profile that Latch issued, and what the device told us once it installed it. The profile
/// carries a device identity certificate of its own; a device request is accepted only when it is signed by that
/// certificate (found here by its SHA-256 thumbprint) and, after <c>Authenticate</c>, only for the UDID bound then.
/// </summary>
public sealed class AppleEnrollment : IEnrollmentRecord
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The user the device is enrolled for; the device's owner once it authenticates.</summary>
    public Guid UserId { get; init; }

    /// <summary>Who downloaded the profile (the user themself or an administrator for them).</summary>
    public required string IssuedBy { get; init; }

    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>SHA-256 of the identity certificate's DER bytes, upper-case hex: the key a signed request is looked up by.</summary>
    public required string CertificateThumbprint { get; init; }

    public DateTimeOffset CertificateNotAfter { get; init; }

    /// <summary>Set when the profile was issued for a device Latch already knows (demo fleet, re-enrolment by an administrator).</summary>
    public Guid? DeviceId { get; set; }

    /// <summary>The device's UDID, bound at <c>Authenticate</c>; every later message must carry the same one.</summary>
    public string? Udid { get; set; }

    public AppleEnrollmentState State { get; set; } = AppleEnrollmentState.Issued;
    public DateTimeOffset? AuthenticatedAt { get; set; }
    public DateTimeOffset? TokenUpdatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The APNs topic (the push certificate's UID) the device listens on.</summary>
    public string? Topic { get; set; }

    /// <summary>APNs device token, lower-case hex.</summary>
    public string? PushToken { get; set; }

    /// <summary>Sent back in every push so the device knows it is from its MDM server. Not a secret once sent over APNs, but never logged.</summary>
    public string? PushMagic { get; set; }

    /// <summary>APNs said the token is no longer valid (410); no push is sent until the device sends a new one.</summary>
    public DateTimeOffset? PushTokenInvalidAt { get; set; }

    /// <summary>The newest <c>UnlockToken</c>, Data-Protection-encrypted (base64 of the token inside). ClearPasscode needs it.</summary>
    public string? ProtectedUnlockToken { get; set; }
}

public enum AppleEnrollmentState
{
    /// <summary>Profile downloaded; no device has used it yet.</summary>
    Issued,

    /// <summary>The device sent <c>Authenticate</c>; its UDID is bound.</summary>
    Authenticated,

    /// <summary>The device sent its first <c>TokenUpdate</c>: it can be pushed and given commands.</summary>
    Enrolled,

    /// <summary>The device sent <c>CheckOut</c> (the profile was removed).</summary>
    CheckedOut,

    /// <summary>The same device enrolled again with a newer profile; this one no longer counts.</summary>
    Superseded,
}
