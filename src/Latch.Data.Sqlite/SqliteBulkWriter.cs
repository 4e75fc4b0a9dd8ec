using System.Globalization;
using System.Text;
using Latch.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SQLitePCL;

namespace Latch.Data.Sqlite;

/// <summary>
/// One prepared INSERT stepped once per row through SQLite's own API. SQLite runs in the process, so there is
/// no round trip to save, and binding through ADO.NET costs more per parameter than the insert itself.
/// </summary>
public sealed class SqliteBulkWriter : IBulkWriter
{
    public string ProviderName => "Microsoft.EntityFrameworkCore.Sqlite";

    public Task WriteAsync<T>(LatchDbContext db, BulkTable table, IReadOnlyList<T> rows, CancellationToken cancellationToken) where T : class
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var sql = new StringBuilder("INSERT INTO \"").Append(table.Name).Append("\" (")
            .AppendJoin(", ", table.Columns.Select(c => $"\"{c.Name}\""))
            .Append(") VALUES (")
            .AppendJoin(", ", table.Columns.Select((_, i) => $"?{i + 1}"))
            .Append(')').ToString();

        Check(raw.sqlite3_prepare_v2(connection.Handle, sql, out var statement), connection);
        try
        {
            foreach (var row in rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var i = 0; i < table.Columns.Count; i++)
                    Check(Bind(statement, i + 1, table.Columns[i].ValueOf(row)), connection);
                var done = raw.sqlite3_step(statement);
                if (done != raw.SQLITE_DONE) Check(done, connection);
                raw.sqlite3_reset(statement);
            }
        }
        finally
        {
            statement.Dispose();
        }
        return Task.CompletedTask;
    }

    // The storage classes EF Core's SQLite provider uses: GUIDs as upper-case text, booleans as integers.
    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        string text => raw.sqlite3_bind_text(statement, index, text),
        Guid guid => raw.sqlite3_bind_text(statement, index, guid.ToString().ToUpperInvariant()),
        bool flag => raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        double number => raw.sqlite3_bind_double(statement, index, number),
        byte[] bytes => raw.sqlite3_bind_blob(statement, index, bytes),
        _ => raw.sqlite3_bind_text(statement, index, Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    private static void Check(int result, SqliteConnection connection)
    {
        if (result != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(result, connection.Handle);
    }
}
