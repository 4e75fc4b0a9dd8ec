using System.Linq.Expressions;
using Latch.Core.Devices;

namespace Latch.Core.Groups;

/// <summary>A group whose members are computed from device facts (SPEC §1); it cannot be edited.</summary>
public sealed record BuiltInGroup(
    Guid Id,
    string Name,
    Guid? ParentId,
    GroupMemberKind MemberKind,
    Expression<Func<Device, bool>> DeviceFilter);

/// <summary>
/// The built-in tree of SPEC §1. "Mobile" means reached over MDM or Exchange ActiveSync, as opposed to a
/// PC managed by the software client; a device managed both ways is in both channel groups.
/// </summary>
public static class BuiltInGroups
{
    public static readonly BuiltInGroup AllDevices = new(
        new Guid("00000000-0000-0000-0000-00000000a001"), "All Devices", null, GroupMemberKind.Devices,
        d => true);

    public static readonly BuiltInGroup AllMobileDevices = new(
        new Guid("00000000-0000-0000-0000-00000000a002"), "All Mobile Devices", AllDevices.Id, GroupMemberKind.Devices,
        d => d.Channel != ManagementChannel.PcSoftwareClient);

    public static readonly BuiltInGroup AllDirectManagedDevices = new(
        new Guid("00000000-0000-0000-0000-00000000a003"), "All Direct Managed Devices", AllMobileDevices.Id, GroupMemberKind.Devices,
        d => d.Channel == ManagementChannel.DirectMdm || d.Channel == ManagementChannel.DirectMdmAndExchangeActiveSync);

    public static readonly BuiltInGroup AllExchangeActiveSyncManagedDevices = new(
        new Guid("00000000-0000-0000-0000-00000000a004"), "All Exchange ActiveSync Managed Devices", AllMobileDevices.Id, GroupMemberKind.Devices,
        d => d.Channel == ManagementChannel.ExchangeActiveSyncOnly || d.Channel == ManagementChannel.DirectMdmAndExchangeActiveSync);

    /// <summary>All users; each user's devices are the computed "&lt;user&gt; ─ Devices" group below it.</summary>
    public static readonly BuiltInGroup AllUsers = new(
        new Guid("00000000-0000-0000-0000-00000000a101"), "All Users", null, GroupMemberKind.Users,
        d => d.OwnerId != null);

    public static IReadOnlyList<BuiltInGroup> All { get; } =
        [AllDevices, AllMobileDevices, AllDirectManagedDevices, AllExchangeActiveSyncManagedDevices, AllUsers];

    public static BuiltInGroup? Find(Guid id) => All.FirstOrDefault(g => g.Id == id);
}
