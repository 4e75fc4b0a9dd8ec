namespace Latch.Core.Users;

/// <summary>A person who owns devices.</summary>
public sealed class User
{
    public Guid Id { get; init; } = Guid.NewGuid();

    /// <summary>Sign-in name, unique (compared case-insensitively by the database collation where it can).</summary>
    public required string UserPrincipalName { get; set; }

    public required string DisplayName { get; set; }
    public string? Email { get; set; }
}
