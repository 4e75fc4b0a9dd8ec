using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Latch.Data.Postgres;

/// <summary>Binary COPY: PostgreSQL's own bulk path, one stream for all rows instead of a round trip per statement.</summary>
public sealed class PostgresBulkWriter : IBulkWriter
{
    public string ProviderName => "Npgsql.EntityFrameworkCore.PostgreSQL";

    public async Task WriteAsync<T>(LatchDbContext db, BulkTable table, IReadOnlyList<T> rows, CancellationToken cancellationToken) where T : class
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var copy = $"COPY \"{table.Name}\" ({string.Join(", ", table.Columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)";
        await using var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The synchronous writes fill a buffer and flush it when full: per-value async calls cost more than the data.
            importer.StartRow();
            foreach (var column in table.Columns)
            {
                switch (column.ValueOf(row))
                {
                    case null: importer.WriteNull(); break;
                    case string text: importer.Write(text, NpgsqlDbType.Text); break;
                    case Guid guid: importer.Write(guid, NpgsqlDbType.Uuid); break;
                    case bool flag: importer.Write(flag, NpgsqlDbType.Boolean); break;
                    case int number: importer.Write(number, NpgsqlDbType.Integer); break;
                    case long number: importer.Write(number, NpgsqlDbType.Bigint); break;
                    case double number: importer.Write(number, NpgsqlDbType.Double); break;
                    case DateTimeOffset time: importer.Write(time.ToUniversalTime(), NpgsqlDbType.TimestampTz); break;
                    case var other: throw new NotSupportedException($"No COPY mapping for {other.GetType().Name} in column {column.Name}.");
                }
            }
        }
        await importer.CompleteAsync(cancellationToken);
    }
}
