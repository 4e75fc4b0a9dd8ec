using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Actions;

/// <summary>One device the preview names: enough to list it in a confirmation.</summary>
public sealed record PreviewDevice(Guid Id, string Name);

/// <summary>Devices that would be skipped for one reason: how many, and the first few by name.</summary>
public sealed record SkippedGroup(string Reason, int Count, IReadOnlyList<PreviewDevice> Examples);

/// <summary>
/// What a remote task would do to a selection before anything is sent: how many devices get it, which are skipped
/// and why (grouped by the rules engine's reason), and which are held back only because they are marked lost.
/// </summary>
/// <param name="DeviceIds">Every selected device that exists, in one list, so that the request sent is the one previewed.</param>
/// <param name="LostDevices">Passcode reset only: devices the rules refuse solely because they are marked lost; they get
/// the reset only with an explicit confirmation, and are skipped otherwise.</param>
public sealed record ActionPreviewResult(
    RemoteAction Action,
    int Selected,
    int WillRun,
    IReadOnlyList<SkippedGroup> Skipped,
    IReadOnlyList<PreviewDevice> LostDevices,
    int NotFound,
    IReadOnlyList<Guid> DeviceIds)
{
    public int SkippedCount => Skipped.Sum(g => g.Count);

    /// <summary>How many devices get the action, with or without the lost-device confirmation.</summary>
    public int WillRunWith(bool lostDeviceConfirmed) => WillRun + (lostDeviceConfirmed ? LostDevices.Count : 0);
}

/// <summary>
/// The confirmation step of a remote task (SPEC §4–5): the same rules <see cref="DeviceActions.RequestAsync"/> applies,
/// evaluated over the selected devices' facts without writing anything. It works on a query, so "all 100,000 devices
/// matching" is one read of the few facts the rules need, not 100,000 lookups.
/// </summary>
public sealed class ActionPreview(LatchDbContext db)
{
    /// <summary>The first few names listed per reason; the counts are always complete.</summary>
    public const int ExamplesPerReason = 10;

    public static string AlreadyInFlightReason(RemoteAction action) =>
        $"A {(action == RemoteAction.RemoteLock ? "remote lock" : "passcode reset")} is already pending for this device; it gets nothing new.";

    public Task<ActionPreviewResult> PreviewAsync(RemoteAction action, IReadOnlyCollection<Guid> deviceIds,
        CancellationToken cancellationToken = default)
    {
        var ids = deviceIds.Distinct().ToList();
        return PreviewAsync(action, db.Devices.Where(d => EF.Parameter(ids).Contains(d.Id)), ids.Count, cancellationToken);
    }

    /// <param name="devices">The selection as a query over <see cref="LatchDbContext.Devices"/> (a group, a search, ...).</param>
    public Task<ActionPreviewResult> PreviewAsync(RemoteAction action, IQueryable<Device> devices, CancellationToken cancellationToken = default) =>
        PreviewAsync(action, devices, selected: null, cancellationToken);

    private async Task<ActionPreviewResult> PreviewAsync(RemoteAction action, IQueryable<Device> devices, int? selected,
        CancellationToken cancellationToken)
    {
        // Only the facts the rules read, plus whether the same action is already in flight (as RequestAsync checks first).
        var rows = await devices.AsNoTracking()
            .OrderBy(d => d.Name).ThenBy(d => d.Id)
            .Select(d => new
            {
                Device = new Device
                {
                    Id = d.Id, Name = d.Name, Platform = d.Platform, OsVersion = d.OsVersion, Channel = d.Channel,
                    EnrolledByUserId = d.EnrolledByUserId, CurrentUserId = d.CurrentUserId, OtherUserSignedIn = d.OtherUserSignedIn, PasscodeSet = d.PasscodeSet,
                    AzureAdJoined = d.AzureAdJoined, Supervised = d.Supervised, HasUnlockToken = d.HasUnlockToken, IsLost = d.IsLost,
                    UnenrolledAt = d.UnenrolledAt,
                },
                InFlight = db.DeviceActions.Any(a => a.DeviceId == d.Id && a.Action == action
                                                     && (a.State == DeviceActionState.Pending || a.State == DeviceActionState.Active)),
            })
            .ToListAsync(cancellationToken);

        var willRun = 0;
        var skipped = new Dictionary<string, (int Count, List<PreviewDevice> Examples)>();
        var lost = new List<PreviewDevice>();
        foreach (var row in rows)
        {
            var device = row.Device;
            string? reason;
            if (row.InFlight) reason = AlreadyInFlightReason(action);
            else
            {
                var verdict = ActionRules.Evaluate(action, device);
                if (verdict.IsSupported) { willRun++; continue; }
                if (device.IsLost && ActionRules.Evaluate(action, device, lostDeviceConfirmed: true).IsSupported)
                {
                    lost.Add(new PreviewDevice(device.Id, device.Name));
                    continue;
                }
                reason = verdict.Reason!;
            }
            if (!skipped.TryGetValue(reason, out var group)) group = (0, []);
            if (group.Examples.Count < ExamplesPerReason) group.Examples.Add(new PreviewDevice(device.Id, device.Name));
            skipped[reason] = (group.Count + 1, group.Examples);
        }

        return new ActionPreviewResult(
            action,
            selected ?? rows.Count,
            willRun,
            skipped.OrderByDescending(g => g.Value.Count).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new SkippedGroup(g.Key, g.Value.Count, g.Value.Examples)).ToList(),
            lost,
            (selected ?? rows.Count) - rows.Count,
            rows.Select(r => r.Device.Id).ToList());
    }
}
