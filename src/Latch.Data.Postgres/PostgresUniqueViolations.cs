using Latch.Core.Data;
using Npgsql;

namespace Latch.Data.Postgres;

/// <summary>SQLSTATE 23505, unique_violation, wherever EF Core wrapped it.</summary>
internal sealed class PostgresUniqueViolations : IUniqueViolations
{
    public string ProviderName => "Npgsql.EntityFrameworkCore.PostgreSQL";

    public bool Are(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }) return true;
        return false;
    }
}
