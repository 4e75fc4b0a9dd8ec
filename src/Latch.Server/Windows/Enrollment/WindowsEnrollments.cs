using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Server.Devices;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Windows.Enrollment;

/// <summary>What a Windows device says about itself in its MS-MDE2 RequestSecurityToken (the AdditionalContext items).</summary>
/// <param name="DeviceIdentifier">The <c>DeviceID</c> item: the SyncML Source/LocURI of its sessions.</param>
/// <param name="AzureAdJoined">Whether the enrolment is part of an Azure AD join (<see cref="WindowsEnrollments.IsAzureAdJoin"/>).</param>
public sealed record WindowsEnrollmentRequest(
    string DeviceIdentifier,
    string? HardwareId,
    string? DeviceType,
    string? OsEdition,
    string? OsVersion,
    string? EnrollmentType,
    string? DeviceName,
    string? ProtocolVersion,
    bool AzureAdJoined);

/// <summary>A device enrolled: its record and the certificate Latch signed for its own key.</summary>
public sealed record WindowsEnrolled(WindowsEnrollment Enrollment, Device Device, DeviceIdentity Certificate);

/// <summary>
/// The life of a Windows enrolment: created when the device's certificate request is signed (MS-MDE2 §3.4), renewed
/// before its certificate expires, ended by the device (Alert 1226) or by a newer enrolment of the same hardware.
/// The device itself goes through Core's <see cref="DeviceEnrollments"/>; Windows's own fields live in its table.
/// </summary>
public sealed class WindowsEnrollments(LatchDbContext db, DeviceEnrollments devices, EnrollmentCodes codes, CommandQueue queue,
    DeviceCertificateAuthority authority, DeviceIdentities identities, TimeProvider clock)
{
    /// <summary>The channel's name on the devices enrolled through it (<see cref="Device.EnrolledThrough"/>).</summary>
    public const string Channel = "windows";

    /// <summary>
    /// MS-MDE2 §3.4.5.1.1.1 (AdditionalContext): <c>EnrollmentType</c> is "Full" for an MDM-only enrolment and
    /// "Device" when the enrolment is made by the device's Azure AD join.
    /// </summary>
    public static bool IsAzureAdJoin(string? enrollmentType) => string.Equals(enrollmentType, "Device", StringComparison.OrdinalIgnoreCase);

    public static WindowsEnrollment? Remembered(DeviceIdentities identities, string thumbprint) =>
        identities.Find(thumbprint) is { Channel: Channel, Enrollment: WindowsEnrollment enrollment } ? enrollment : null;

    /// <summary>The enrolment whose certificate (or the certificate it renewed) this is; remembered between requests where that is safe.</summary>
    public async Task<WindowsEnrollment?> FindByCertificateAsync(string thumbprint, CancellationToken cancellationToken = default)
    {
        if (Remembered(identities, thumbprint) is { } remembered) return remembered;
        var generation = identities.Generation;
        var enrollment = await db.WindowsEnrollments.AsNoTracking().FirstOrDefaultAsync(e => e.CertificateThumbprint == thumbprint, cancellationToken);
        if (enrollment is not null)
        {
            identities.Remember(new EnrolledIdentity(Channel, enrollment), generation);
            return enrollment;
        }
        return await db.WindowsEnrollments.AsNoTracking().FirstOrDefaultAsync(e => e.PreviousCertificateThumbprint == thumbprint, cancellationToken);
    }

    /// <summary>Whether a session from this enrolment's certificate may act for the device it names; null when it may.</summary>
    public static string? Check(WindowsEnrollment enrollment, string thumbprint, string sourceLocUri, DateTimeOffset now)
    {
        if (enrollment.State == WindowsEnrollmentState.Superseded)
            return "This enrolment was replaced by a newer enrolment of the same device.";
        if (enrollment.State == WindowsEnrollmentState.Unenrolled)
            return "The device unenrolled; it must enrol again.";
        if (thumbprint == enrollment.CertificateThumbprint && enrollment.CertificateNotAfter < now)
            return "The device's enrolment certificate has expired; enrol the device again.";
        if (!string.Equals(sourceLocUri, enrollment.DeviceIdentifier, StringComparison.OrdinalIgnoreCase))
            return "The message names a different device (SyncHdr Source) than the one this certificate was issued to.";
        return null;
    }

    /// <summary>
    /// Signs the device's certificate request and enrols it, using up the enrolment code: the same hardware (by HWDevID
    /// or device id) is the same device, and an enrolment of one user never takes over another user's device (Core's
    /// rule). Nothing is written when it is refused.
    /// </summary>
    /// <exception cref="CertificateRequestException">The PKCS#10 is malformed or not signed by the key it names.</exception>
    public async Task<(WindowsEnrolled? Enrolled, string? Refusal)> EnrollAsync(WindowsEnrollmentRequest request, AcceptedEnrollmentCode code,
        ReadOnlyMemory<byte> certificateRequest, CancellationToken cancellationToken = default)
    {
        var enrollmentId = Guid.CreateVersion7();
        var certificate = authority.SignDeviceRequest(certificateRequest.Span, $"Latch Windows device {enrollmentId}");
        var now = clock.GetUtcNow();
        var platform = WindowsPlatforms.FromEnrolment(request.OsVersion, request.OsEdition, request.DeviceType);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await codes.UseAsync(code.Id, cancellationToken))
            return (null, "The enrolment code was used by another enrolment or expired meanwhile. Ask for a new enrolment code.");

        var related = await db.WindowsEnrollments
            .Where(e => (request.HardwareId != null && e.HardwareId == request.HardwareId) || e.DeviceIdentifier == request.DeviceIdentifier
                        || (code.DeviceId != null && e.DeviceId == code.DeviceId))
            .ToListAsync(cancellationToken);
        var standing = related.Where(e => e.State == WindowsEnrollmentState.Enrolled).ToList();
        var knownAs = related.Where(e => e.DeviceId is not null && e.DeviceId != code.DeviceId).OrderByDescending(e => e.EnrolledAt)
            .Select(e => e.DeviceId!.Value).Distinct().ToList();
        var enrollment = new WindowsEnrollment
        {
            Id = enrollmentId, UserId = code.User.Id, EnrollmentCodeId = code.Id, CertificateThumbprint = certificate.Sha256Thumbprint,
            CertificateNotAfter = certificate.NotAfter, DeviceIdentifier = request.DeviceIdentifier, HardwareId = request.HardwareId,
            DeviceType = request.DeviceType, OsEdition = request.OsEdition, EnrollmentType = request.EnrollmentType,
            ProtocolVersion = request.ProtocolVersion, EnrolledAt = now,
        };
        var enrolling = new EnrollingDevice(Channel, enrollmentId, code.User.Id, code.DeviceId, knownAs,
            AlreadyBound: false,
            EnrolledBefore: related.Count > 0,
            new DeviceFacts
            {
                Name = request.DeviceName, Platform = platform, AzureAdJoined = request.AzureAdJoined,
                OsVersion = Core.Devices.OsVersion.TryParse(request.OsVersion, out var version) ? version : null,
                // Windows has no query for "a PIN is set": the lock's own answer says it (405). Assume one until then.
                PasscodeSet = true,
                SignedIn = SignedIn.EnrollingUser, // the user enrolling is signed in; LoginStatus says otherwise later
            },
            NewDeviceName: request.DeviceName ?? $"{platform.DisplayName()} device",
            NewDevicePlatform: platform,
            Describe: device => $"Windows device '{device.Name}' ({device.Platform.DisplayName()} {device.OsVersion}{(request.AzureAdJoined ? ", Azure AD joined" : "")})");
        var (device, refusal) = await devices.EnrollAsync(enrolling, device =>
        {
            foreach (var old in standing)
            {
                old.State = WindowsEnrollmentState.Superseded;
                old.EndedAt = now;
            }
            enrollment.DeviceId = device.Id;
            db.WindowsEnrollments.Add(enrollment);
        }, cancellationToken);
        if (device is null)
        {
            certificate.Certificate.Dispose();
            return (null, refusal);
        }
        await queue.EnqueueAsync([queue.Create(device.Id, CommandTypes.QueryDeviceInformation, CommandPriority.Routine)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (new WindowsEnrolled(enrollment, device, certificate), null);
    }

    /// <summary>
    /// Certificate renewal (MS-MDE2 §3.4, RequestType Renew): a new certificate for the device's new key, authenticated
    /// by the certificate it renews. The old one stays accepted until the new one is used.
    /// </summary>
    /// <exception cref="CertificateRequestException">The PKCS#10 is malformed or not signed by the key it names.</exception>
    public async Task<DeviceIdentity> RenewAsync(Guid enrollmentId, ReadOnlyMemory<byte> certificateRequest, CancellationToken cancellationToken = default)
    {
        var certificate = authority.SignDeviceRequest(certificateRequest.Span, $"Latch Windows device {enrollmentId}");
        var enrollment = await db.WindowsEnrollments.FirstAsync(e => e.Id == enrollmentId, cancellationToken);
        enrollment.PreviousCertificateThumbprint = enrollment.CertificateThumbprint;
        enrollment.CertificateThumbprint = certificate.Sha256Thumbprint;
        enrollment.CertificateNotAfter = certificate.NotAfter;
        await db.SaveChangesAsync(cancellationToken);
        return certificate;
    }

    /// <summary>The device used its renewed certificate: the one it renewed is no longer accepted.</summary>
    public Task RetirePreviousCertificateAsync(Guid enrollmentId, CancellationToken cancellationToken = default) =>
        db.WindowsEnrollments.Where(e => e.Id == enrollmentId && e.PreviousCertificateThumbprint != null)
            .ExecuteUpdateAsync(set => set.SetProperty(e => e.PreviousCertificateThumbprint, (string?)null), cancellationToken);

    /// <summary>Generic Alert 1226 (the user removed the work account): the device leaves management; its queue is dropped.</summary>
    public async Task UnenrollAsync(Guid enrollmentId, CancellationToken cancellationToken = default)
    {
        var enrollment = await db.WindowsEnrollments.FirstAsync(e => e.Id == enrollmentId, cancellationToken);
        if (enrollment.State != WindowsEnrollmentState.Enrolled) return;
        enrollment.State = WindowsEnrollmentState.Unenrolled;
        enrollment.EndedAt = clock.GetUtcNow();
        enrollment.PushChannelUri = null;
        await db.SaveChangesAsync(cancellationToken);
        await devices.UnenrollAsync(enrollment.DeviceId!.Value, cancellationToken);
    }

    /// <summary>The WNS channel URI the device reported in a session; a new one revives a channel WNS said was gone.</summary>
    public Task SetPushChannelAsync(Guid enrollmentId, string channelUri, CancellationToken cancellationToken = default) =>
        db.WindowsEnrollments.Where(e => e.Id == enrollmentId && (e.PushChannelUri != channelUri || e.PushChannelDeadAt != null))
            .ExecuteUpdateAsync(set => set.SetProperty(e => e.PushChannelUri, channelUri).SetProperty(e => e.PushChannelDeadAt, (DateTimeOffset?)null),
                cancellationToken);
}
