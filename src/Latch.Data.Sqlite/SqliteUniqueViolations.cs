using Latch.Core.Data;
using Microsoft.Data.Sqlite;

namespace Latch.Data.Sqlite;

/// <summary>SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY (https://sqlite.org/rescode.html), wherever EF Core wrapped them.</summary>
internal sealed class SqliteUniqueViolations : IUniqueViolations
{
    private const int ConstraintUnique = 2067, ConstraintPrimaryKey = 1555;

    public string ProviderName => "Microsoft.EntityFrameworkCore.Sqlite";

    public bool Are(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is SqliteException { SqliteExtendedErrorCode: ConstraintUnique or ConstraintPrimaryKey }) return true;
        return false;
    }
}
