namespace Latch.Core.Data;

/// <summary>How one database provider reports a broken unique constraint (Core knows no provider's exception types).</summary>
public interface IUniqueViolations
{
    string ProviderName { get; }

    /// <summary>Whether <paramref name="exception"/> (or one inside it) says a unique index refused a row.</summary>
    bool Are(Exception exception);
}

/// <summary>The errors of whichever provider a context uses, told apart without knowing its exception types.</summary>
public sealed class DatabaseErrors(IEnumerable<IUniqueViolations> providers)
{
    private readonly IUniqueViolations[] _providers = providers.ToArray();

    /// <summary>A unique index refused a row: another request wrote the same thing first, and reading again sorts it out.</summary>
    public bool IsUniqueViolation(LatchDbContext db, Exception exception) =>
        _providers.FirstOrDefault(p => p.ProviderName == db.Database.ProviderName)?.Are(exception) ?? false;
}
