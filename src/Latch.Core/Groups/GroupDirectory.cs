using Latch.Core.Data;
using Latch.Core.Devices;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Groups;

/// <summary>A group as the console and API list it, built-in or static.</summary>
public sealed record GroupSummary(Guid Id, string Name, Guid? ParentId, GroupMemberKind MemberKind, bool IsBuiltIn, string? Description);

/// <summary>Built-in and static groups, and which devices each one holds.</summary>
public sealed class GroupDirectory(LatchDbContext db, TimeProvider clock)
{
    public async Task<IReadOnlyList<GroupSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var builtIn = BuiltInGroups.All.Select(g => new GroupSummary(g.Id, g.Name, g.ParentId, g.MemberKind, true, null));
        var made = await db.Groups.AsNoTracking().OrderBy(g => g.Name)
            .Select(g => new GroupSummary(g.Id, g.Name, null, g.MemberKind, false, g.Description))
            .ToListAsync(cancellationToken);
        return [.. builtIn, .. made];
    }

    /// <summary>
    /// The devices in a group, as a query to filter, sort and page further; null for an unknown group.
    /// A user group holds the devices its users own.
    /// </summary>
    public async Task<IQueryable<Device>?> DevicesInAsync(Guid groupId, CancellationToken cancellationToken = default)
    {
        if (BuiltInGroups.Find(groupId) is { } builtIn)
            return db.Devices.Where(builtIn.DeviceFilter);

        var kind = await db.Groups.Where(g => g.Id == groupId).Select(g => (GroupMemberKind?)g.MemberKind).FirstOrDefaultAsync(cancellationToken);
        return kind switch
        {
            GroupMemberKind.Devices => db.Devices.Where(d => db.GroupDevices.Any(m => m.GroupId == groupId && m.DeviceId == d.Id)),
            GroupMemberKind.Users => db.Devices.Where(d => db.GroupUsers.Any(m => m.GroupId == groupId && m.UserId == d.OwnerId)),
            _ => null,
        };
    }

    /// <summary>The computed "&lt;user&gt; ─ Devices" group.</summary>
    public IQueryable<Device> DevicesOfUser(Guid userId) => db.Devices.Where(d => d.OwnerId == userId);

    public async Task<Group> CreateAsync(string name, GroupMemberKind memberKind, string? description = null,
        CancellationToken cancellationToken = default)
    {
        name = name?.Trim() ?? "";
        if (name.Length is 0 or > 200) throw new ArgumentException("A group needs a name of 1 to 200 characters.", nameof(name));
        if (BuiltInGroups.All.Any(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase))
            || await db.Groups.AnyAsync(g => g.Name == name, cancellationToken))
            throw new ArgumentException($"A group named '{name}' already exists.", nameof(name));

        var group = new Group { Name = name, MemberKind = memberKind, Description = description, CreatedAt = clock.GetUtcNow() };
        db.Groups.Add(group);
        await db.SaveChangesAsync(cancellationToken);
        return group;
    }

    /// <summary>Adds devices or users (by the group's kind); unknown ids are refused as a whole, members already in are kept once.</summary>
    public async Task AddMembersAsync(Guid groupId, IReadOnlyCollection<Guid> memberIds, CancellationToken cancellationToken = default)
    {
        if (BuiltInGroups.Find(groupId) is not null)
            throw new InvalidOperationException("Built-in groups are computed from device facts and cannot be edited.");
        var group = await db.Groups.Include(g => g.Devices).Include(g => g.Users).FirstOrDefaultAsync(g => g.Id == groupId, cancellationToken)
            ?? throw new KeyNotFoundException($"There is no group {groupId}.");
        var ids = memberIds.Distinct().ToList();

        var known = group.MemberKind == GroupMemberKind.Devices
            ? await db.Devices.Where(d => EF.Parameter(ids).Contains(d.Id)).Select(d => d.Id).ToListAsync(cancellationToken)
            : await db.Users.Where(u => EF.Parameter(ids).Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
        var unknown = ids.Except(known).ToList();
        if (unknown.Count > 0)
            throw new KeyNotFoundException($"No {group.MemberKind.ToString().ToLowerInvariant()} with id {string.Join(", ", unknown)}.");

        foreach (var id in ids)
        {
            if (group.MemberKind == GroupMemberKind.Devices && group.Devices.All(m => m.DeviceId != id))
                group.Devices.Add(new GroupDevice { GroupId = groupId, DeviceId = id });
            else if (group.MemberKind == GroupMemberKind.Users && group.Users.All(m => m.UserId != id))
                group.Users.Add(new GroupUser { GroupId = groupId, UserId = id });
        }
        await db.SaveChangesAsync(cancellationToken);
    }
}
