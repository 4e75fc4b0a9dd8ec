using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Secrets;
using Latch.Protocols.Apple;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Apple.Enrollment;

/// <summary>
/// The life of an Apple enrolment: issued with a profile, bound to a device at <c>Authenticate</c>, reachable after
/// <c>TokenUpdate</c>, ended by <c>CheckOut</c> or by a newer enrolment of the same device. Apple's own fields live in
/// its table (<see cref="AppleEnrollment"/>); the device itself goes through Core's <see cref="DeviceEnrollments"/>.
/// The caller has already checked that the request was signed by the enrolment's identity (<see cref="Check"/> says
/// whether the message may touch it).
/// </summary>
public sealed class AppleEnrollments(LatchDbContext db, DeviceEnrollments devices, CommandQueue queue, SecretProtector secrets,
    DeviceIdentities identities, TimeProvider clock)
{
    /// <summary>The channel's name on the devices enrolled through it (<see cref="Device.EnrolledThrough"/>).</summary>
    public const string Channel = "apple";

    /// <summary>Records a profile just issued for a user (and, when it is for a device Latch knows, that device).</summary>
    public async Task<AppleEnrollment> IssueAsync(Guid enrollmentId, Guid userId, string issuedBy, string certificateThumbprint,
        DateTimeOffset certificateNotAfter, Guid? deviceId = null, CancellationToken cancellationToken = default)
    {
        var enrollment = new AppleEnrollment
        {
            Id = enrollmentId, UserId = userId, IssuedBy = issuedBy, IssuedAt = clock.GetUtcNow(), CertificateThumbprint = certificateThumbprint,
            CertificateNotAfter = certificateNotAfter, DeviceId = deviceId,
        };
        db.AppleEnrollments.Add(enrollment);
        db.AuditEvents.Add(new AuditEvent
        {
            At = enrollment.IssuedAt, Actor = issuedBy, Kind = AuditKinds.EnrollmentProfileIssued, DeviceId = deviceId,
            Detail = $"Apple enrolment profile {enrollmentId} issued for user {userId}.",
        });
        await db.SaveChangesAsync(cancellationToken);
        return enrollment;
    }

    /// <summary>An Apple enrolment that memory knows by its certificate (<see cref="DeviceIdentities"/>), without a read.</summary>
    public static AppleEnrollment? Remembered(DeviceIdentities identities, string thumbprint) =>
        identities.Find(thumbprint) is { Channel: Channel, Enrollment: AppleEnrollment enrollment } ? enrollment : null;

    /// <summary>The enrolment whose identity has this certificate; remembered between requests where that is safe (<see cref="DeviceIdentities"/>).</summary>
    public async Task<AppleEnrollment?> FindByCertificateAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        if (Remembered(identities, thumbprint) is { } remembered) return remembered;
        var generation = identities.Generation;
        // Not an EF compiled query: those keep one executor per query, which flips between models when one process
        // (the test run) uses SQLite and PostgreSQL at once. EF's own query cache is keyed by model.
        var enrollment = await db.AppleEnrollments.AsNoTracking().FirstOrDefaultAsync(e => e.CertificateThumbprint == thumbprint, cancellationToken);
        if (enrollment is not null) identities.Remember(new EnrolledIdentity(Channel, enrollment), generation);
        return enrollment;
    }

    /// <summary>
    /// Whether a message from this enrolment's identity may act for the UDID it names; null when it may, else why not.
    /// Only <c>Authenticate</c> may name a UDID the enrolment is not bound to yet.
    /// </summary>
    public static string? Check(AppleEnrollment enrollment, string? udid, bool isAuthenticate, DateTimeOffset now)
    {
        if (udid is null)
            return "User Enrollment (EnrollmentID without UDID) is not supported by this server; enrol the device itself.";
        if (enrollment.CertificateNotAfter < now)
            return "The device identity certificate has expired; enrol the device again.";
        if (enrollment.State == AppleEnrollmentState.Superseded)
            return "This enrolment was replaced by a newer enrolment of the same device.";
        if (enrollment.Udid is not null && !string.Equals(enrollment.Udid, udid, StringComparison.OrdinalIgnoreCase))
            return "The message names a different device than the one this identity was bound to at Authenticate.";
        if (enrollment.State == AppleEnrollmentState.CheckedOut)
            return "The device checked out of management; it must enrol again with a new profile.";
        if (isAuthenticate) return null;
        if (enrollment.Udid is null)
            return "The device has not authenticated with this identity yet (Authenticate comes first).";
        return null;
    }

    /// <summary>
    /// <c>Authenticate</c>: binds the UDID, finds or creates the device, and starts a fresh queue if it enrolled before.
    /// Refused (nothing written, the reason returned) when the UDID is a device Latch knows and this profile was issued
    /// neither for that device nor for its owner: an identity of one user never takes over another user's device.
    /// </summary>
    public async Task<(Device? Device, string? Refusal)> AuthenticateAsync(Guid enrollmentId, Authenticate message,
        CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var enrollment = await db.AppleEnrollments.FirstAsync(e => e.Id == enrollmentId, cancellationToken);
        var udid = message.UDID!;

        // Every other enrolment of this hardware (by UDID) or of the known device the profile was issued for: the ones
        // still standing give way to this one, and the devices the UDID was enrolled as decide whether it may bind.
        var related = await db.AppleEnrollments
            .Where(e => e.Id != enrollment.Id && (e.Udid == udid || (enrollment.DeviceId != null && e.DeviceId == enrollment.DeviceId)))
            .ToListAsync(cancellationToken);
        var earlier = related.Where(e => e.State != AppleEnrollmentState.Superseded).ToList();
        var knownAs = related.Where(e => e.Udid == udid && e.DeviceId is not null).OrderByDescending(e => e.IssuedAt)
            .Select(e => e.DeviceId!.Value).Distinct().ToList();

        var enrolling = new EnrollingDevice(Channel, enrollment.Id, enrollment.UserId, enrollment.DeviceId, knownAs,
            AlreadyBound: enrollment.Udid is not null,
            EnrolledBefore: enrollment.AuthenticatedAt is not null || earlier.Any(e => e.AuthenticatedAt is not null),
            FactsOf(message),
            NewDeviceName: message.ModelName ?? message.ProductName ?? "Apple device",
            NewDevicePlatform: PlatformOf(message.ProductName, message.Model),
            Describe: device => $"Apple device '{device.Name}' ({message.ProductName ?? "unknown model"}, {device.Platform.DisplayName()} {device.OsVersion})");
        return await devices.EnrollAsync(enrolling, device =>
        {
            foreach (var old in earlier)
            {
                old.State = AppleEnrollmentState.Superseded;
                old.EndedAt ??= now;
            }
            device.HasUnlockToken = false; // the new enrolment's token arrives with its first TokenUpdate
            enrollment.DeviceId = device.Id;
            enrollment.Udid = udid;
            enrollment.Topic = message.Topic;
            enrollment.State = AppleEnrollmentState.Authenticated;
            enrollment.AuthenticatedAt = now;
            enrollment.ProtectedUnlockToken = null;
        }, cancellationToken);
    }

    private static DeviceFacts FactsOf(Authenticate message) => new()
    {
        Name = message.DeviceName,
        Platform = message.ProductName is null ? null : PlatformOf(message.ProductName, message.Model),
        OsVersion = OsVersion.TryParse(message.OSVersion, out var version) ? version : null,
        Manufacturer = "Apple",
        Model = message.ProductName ?? message.ModelName, // "iPhone15,4" says more than "iPhone"
        SerialNumber = message.SerialNumber,
        Imei = message.IMEI,
    };

    /// <summary>
    /// <c>TokenUpdate</c>: keeps the push token, PushMagic, topic and the newest UnlockToken (encrypted). The first one
    /// completes the enrolment and queues the queries that fill in the device's facts. Returns true for the first.
    /// </summary>
    public async Task<bool> TokenUpdateAsync(Guid enrollmentId, TokenUpdate message, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var enrollment = await db.AppleEnrollments.FirstAsync(e => e.Id == enrollmentId, cancellationToken);
        var device = await db.Devices.FirstAsync(d => d.Id == enrollment.DeviceId, cancellationToken);
        var first = enrollment.State == AppleEnrollmentState.Authenticated;

        enrollment.PushToken = Convert.ToHexStringLower(message.Token.Span);
        enrollment.PushMagic = message.PushMagic;
        enrollment.Topic = message.Topic;
        enrollment.PushTokenInvalidAt = null;
        enrollment.TokenUpdatedAt = now;
        if (message.UnlockToken is { } unlockToken)
        {
            enrollment.ProtectedUnlockToken = secrets.Protect(Convert.ToBase64String(unlockToken.Span));
            device.HasUnlockToken = true;
        }
        device.LastCheckInAt = now;

        await using var transaction = await JoinedTransaction.BeginAsync(db, cancellationToken);
        if (first)
        {
            enrollment.State = AppleEnrollmentState.Enrolled;
            await queue.EnqueueAsync(
            [
                queue.Create(device.Id, CommandTypes.QueryDeviceInformation, CommandPriority.Routine),
                queue.Create(device.Id, CommandTypes.QuerySecurityInfo, CommandPriority.Routine),
            ], cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return first;
    }

    /// <summary><c>CheckOut</c>: the profile was removed. The device leaves management; its queue is dropped.</summary>
    public async Task CheckOutAsync(Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var enrollment = await db.AppleEnrollments.FirstAsync(e => e.Id == enrollmentId, cancellationToken);
        enrollment.State = AppleEnrollmentState.CheckedOut;
        enrollment.EndedAt = now;
        enrollment.ProtectedUnlockToken = null;
        enrollment.PushMagic = null;
        enrollment.PushToken = null;
        await db.Devices.Where(d => d.Id == enrollment.DeviceId)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.HasUnlockToken, false), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await devices.UnenrollAsync(enrollment.DeviceId!.Value, cancellationToken);
    }

    /// <summary>Macs (Mac14,2, MacBookPro18,3, iMac21,1, Macmini9,1, VirtualMac2,1) are the macOS row; every other Apple device the iOS rows.</summary>
    public static Platform PlatformOf(string? productName, string? model) =>
        (productName ?? model ?? "").Contains("Mac", StringComparison.Ordinal) ? Platform.MacOS : Platform.IOS;
}
