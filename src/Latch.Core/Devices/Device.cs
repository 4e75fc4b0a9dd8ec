using Latch.Core.Users;

namespace Latch.Core.Devices;

/// <summary>A managed device and the facts that the rules engine (SPEC §2–4) decides on.</summary>
public sealed class Device
{
    public Guid Id { get; init; } = Guid.NewGuid();
    public required string Name { get; set; }
    public required Platform Platform { get; set; }
    public required OsVersion OsVersion { get; set; }
    /// <summary>How Latch reaches the device, as the SPEC names it (MDM, Exchange ActiveSync, both, PC client).</summary>
    public required ManagementChannel Channel { get; set; }

    /// <summary>
    /// The device channel the device last enrolled through ("apple"; later "windows", "android"), set when it enrols:
    /// wake-ups go through that channel's push. Null for a device that never enrolled through a channel.
    /// </summary>
    public string? EnrolledThrough { get; set; }

    public Guid? OwnerId { get; set; }
    public User? Owner { get; set; }

    /// <summary>The user who enrolled the device; Windows RT / 8.1 lock only while this user is signed in.</summary>
    public Guid? EnrolledByUserId { get; set; }

    /// <summary>The user signed in on the device now, as the device last reported; null when nobody is.</summary>
    public Guid? CurrentUserId { get; set; }

    /// <summary>
    /// Someone Latch cannot name is signed in: Windows says only whether the signed-in user is the enrolling one
    /// (Alert 1224 <c>com.microsoft/MDM/LoginStatus</c> "others"), not who it is. <see cref="CurrentUserId"/> is null then.
    /// </summary>
    public bool OtherUserSignedIn { get; set; }

    public bool PasscodeSet { get; set; }
    public bool AzureAdJoined { get; set; }
    public bool Supervised { get; set; }

    /// <summary>Apple only: the device has sent an <c>UnlockToken</c> (in <c>TokenUpdate</c>); <c>ClearPasscode</c> needs it.</summary>
    public bool HasUnlockToken { get; set; }

    /// <summary>Marked lost by an administrator; a passcode reset then needs an explicit confirmation.</summary>
    public bool IsLost { get; set; }

    public string? Model { get; set; }
    public string? Manufacturer { get; set; }
    public string? SerialNumber { get; set; }
    public string? Imei { get; set; }

    public DateTimeOffset EnrolledAt { get; set; }
    public DateTimeOffset? LastCheckInAt { get; set; }

    /// <summary>The device left management (Apple: CheckOut when its profile was removed); no action reaches it until it enrols again.</summary>
    public DateTimeOffset? UnenrolledAt { get; set; }
}
