namespace Latch.Core.Secrets;

/// <summary>
/// A server-wide secret kept in the database so every server of a scaled-out deployment shares it (the Apple
/// enrolment CA's key, for one). The value is Data-Protection-encrypted; the name says what it is.
/// </summary>
public sealed class StoredSecret
{
    public required string Name { get; init; }
    public required string ProtectedValue { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
