using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Core.Devices;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Enrollment;

/// <summary>A device enrolling through a channel, as the channel's own records describe it.</summary>
/// <param name="Channel">The channel's name (<see cref="Device.EnrolledThrough"/>).</param>
/// <param name="UserId">The user the enrolment was issued for: the device's owner once it enrols.</param>
/// <param name="IssuedForDevice">The device an administrator issued the enrolment for, when it was issued for one.</param>
/// <param name="KnownAs">The devices the channel's records say this hardware already is (Apple: earlier enrolments of its UDID), newest first.</param>
/// <param name="AlreadyBound">The enrolment itself is bound to this hardware already (a repeated Authenticate).</param>
/// <param name="EnrolledBefore">The hardware was enrolled before, with this or an earlier enrolment: its queue starts afresh.</param>
/// <param name="Facts">What the device said about itself while enrolling.</param>
/// <param name="NewDeviceName">The name of a device Latch did not know, when its facts name none.</param>
/// <param name="NewDevicePlatform">The platform of a device Latch did not know, when its facts name none.</param>
/// <param name="Describe">The audit trail's words for the device (model, platform), after the facts are applied.</param>
public sealed record EnrollingDevice(
    string Channel,
    Guid EnrollmentId,
    Guid UserId,
    Guid? IssuedForDevice,
    IReadOnlyList<Guid> KnownAs,
    bool AlreadyBound,
    bool EnrolledBefore,
    DeviceFacts Facts,
    string NewDeviceName,
    Platform NewDevicePlatform,
    Func<Device, string> Describe);

/// <summary>
/// What every channel's enrolment has in common: the device found or created, its owner and enrolling user, its enrolled
/// and unenrolled times, the channel it is reached through, a fresh queue after re-enrolment — and the rule that an
/// enrolment of one user never takes over another user's device. Each channel keeps its own fields in its own table.
/// </summary>
public sealed class DeviceEnrollments(LatchDbContext db, DeviceActions actions, TimeProvider clock)
{
    /// <summary>
    /// The device, saved; or, when the hardware is a device of another user and the enrolment was not issued for that
    /// device, the reason it is refused (nothing is written then). <paramref name="bind"/> runs before the save: the
    /// channel binds its own record to the device there (and sets its own device fields), saved in the same write.
    /// </summary>
    public async Task<(Device? Device, string? Refusal)> EnrollAsync(EnrollingDevice enrolling, Action<Device> bind,
        CancellationToken cancellationToken = default)
    {
        if (await TakeoverOfAsync(enrolling, cancellationToken) is { } refusal) return (null, refusal);

        var now = clock.GetUtcNow();
        var deviceId = enrolling.IssuedForDevice ?? enrolling.KnownAs.Cast<Guid?>().FirstOrDefault();
        var device = deviceId is { } id ? await db.Devices.FirstOrDefaultAsync(d => d.Id == id, cancellationToken) : null;
        if (device is null)
        {
            device = new Device
            {
                Name = enrolling.Facts.Name ?? enrolling.NewDeviceName,
                Platform = enrolling.Facts.Platform ?? enrolling.NewDevicePlatform,
                OsVersion = enrolling.Facts.OsVersion ?? default,
                Channel = ManagementChannel.DirectMdm,
                EnrolledAt = now,
            };
            db.Devices.Add(device);
        }

        enrolling.Facts.ApplyTo(device);
        device.EnrolledThrough = enrolling.Channel;
        device.OwnerId = enrolling.UserId;
        device.EnrolledByUserId = enrolling.UserId;
        if (!enrolling.AlreadyBound) device.EnrolledAt = now;
        device.UnenrolledAt = null;
        device.LastCheckInAt = now;
        bind(device);
        db.AuditEvents.Add(new AuditEvent
        {
            At = now, Actor = "device", Kind = AuditKinds.DeviceEnrolled, DeviceId = device.Id,
            Detail = $"{enrolling.Describe(device)} enrolled with {enrolling.Channel} enrolment {enrolling.EnrollmentId}" +
                     $"{(enrolling.EnrolledBefore ? "; it was enrolled before" : "")}.",
        });
        await db.SaveChangesAsync(cancellationToken);

        if (enrolling.EnrolledBefore) await actions.ReenrollAsync(device.Id, cancellationToken);
        return (device, null);
    }

    /// <summary>The device left management: no action reaches it until it enrols again, and its queue is dropped.</summary>
    public async Task UnenrollAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await db.Devices.Where(d => d.Id == deviceId).ExecuteUpdateAsync(set => set.SetProperty(d => d.UnenrolledAt, now), cancellationToken);
        await actions.UnenrollAsync(deviceId, cancellationToken);
    }

    // Hardware Latch knows may be enrolled afresh only with an enrolment issued for that device or for its owner.
    private async Task<string?> TakeoverOfAsync(EnrollingDevice enrolling, CancellationToken cancellationToken)
    {
        if (enrolling.AlreadyBound || enrolling.KnownAs.Count == 0) return null;
        var known = enrolling.KnownAs.ToList();
        var owners = await db.Devices.AsNoTracking().Where(d => known.Contains(d.Id)).Select(d => new { d.Id, d.OwnerId }).ToListAsync(cancellationToken);
        return owners.All(d => d.Id == enrolling.IssuedForDevice || d.OwnerId == enrolling.UserId)
            ? null
            : "This device is enrolled for another user; enrolling it for this profile's user needs a profile an administrator downloads for the device (?device=).";
    }
}
