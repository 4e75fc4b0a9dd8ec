namespace Latch.Core.Groups;

/// <summary>A static group that an administrator made. Built-in groups are computed (<see cref="BuiltInGroups"/>) and never stored.</summary>
public sealed class Group
{
    public Guid Id { get; init; } = Guid.NewGuid();
    public required string Name { get; set; }
    public string? Description { get; set; }
    public GroupMemberKind MemberKind { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public List<GroupDevice> Devices { get; init; } = [];
    public List<GroupUser> Users { get; init; } = [];
}

public enum GroupMemberKind
{
    Devices,
    Users,
}

public sealed class GroupDevice
{
    public Guid GroupId { get; init; }
    public Guid DeviceId { get; init; }
}

public sealed class GroupUser
{
    public Guid GroupId { get; init; }
    public Guid UserId { get; init; }
}
