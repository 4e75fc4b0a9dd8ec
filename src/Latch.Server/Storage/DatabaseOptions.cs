using System.ComponentModel.DataAnnotations;

namespace Latch.Server.Storage;

/// <summary>LATCH_Database__Provider and LATCH_Database__ConnectionString.</summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";

    /// <summary><c>sqlite</c> (default: a file in the data directory) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Required for postgres; for sqlite, overrides the file in the data directory.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase);
    public bool IsSqlite => string.Equals(Provider, "sqlite", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsSqlite && !IsPostgres)
            yield return new ValidationResult(
                $"Database:Provider is '{Provider}'; use 'sqlite' or 'postgres'.", [nameof(Provider)]);
        if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
            yield return new ValidationResult(
                "Database:Provider is 'postgres' but Database:ConnectionString is empty; set LATCH_Database__ConnectionString.",
                [nameof(ConnectionString)]);
    }
}
