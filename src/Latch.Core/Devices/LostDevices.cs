using Latch.Core.Audit;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Devices;

/// <summary>
/// An administrator marks a device lost (or found again). While it is marked, a passcode reset needs an explicit
/// confirmation (SPEC §6). Every change is audited with who made it.
/// </summary>
public sealed class LostDevices(LatchDbContext db, TimeProvider clock)
{
    /// <returns>False when there is no such device. Marking a device as it already is changes and audits nothing.</returns>
    public async Task<bool> MarkAsync(Guid deviceId, bool lost, string markedBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(markedBy);
        var device = await db.Devices.FirstOrDefaultAsync(d => d.Id == deviceId, cancellationToken);
        if (device is null) return false;
        if (device.IsLost == lost) return true;

        device.IsLost = lost;
        db.AuditEvents.Add(new AuditEvent
        {
            At = clock.GetUtcNow(), Actor = markedBy, Kind = lost ? AuditKinds.DeviceMarkedLost : AuditKinds.DeviceMarkedFound,
            DeviceId = deviceId,
            Detail = lost ? $"'{device.Name}' marked lost." : $"'{device.Name}' no longer marked lost.",
        });
        await db.SaveChangesAsync(cancellationToken); // the flag and its audit event together
        return true;
    }
}
