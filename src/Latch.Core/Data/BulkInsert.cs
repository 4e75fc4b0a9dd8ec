using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Data;

/// <summary>
/// Inserts many rows of one entity type with multi-row INSERT statements built from the EF model, so the
/// column names, value converters and parameter types are the provider's own (Guid as TEXT on SQLite, uuid on
/// PostgreSQL, enums by name, ...). Change tracking would cost more than the writes for a 100,000-device action.
/// Runs inside the caller's transaction; the rows are not tracked afterwards.
/// </summary>
internal static class BulkInsert
{
    // Both SQLite (32,766) and PostgreSQL (65,535) accept this many parameters in one statement.
    private const int MaxParametersPerStatement = 30_000;
    private const int MaxRowsPerStatement = 1_000;

    public static async Task InsertAsync<T>(LatchDbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0) return;

        var entityType = db.Model.FindEntityType(typeof(T))
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not part of the model.");
        var table = StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema());
        var columns = entityType.GetProperties().Select(p => new Column(p, p.GetColumnName(table)!, p.GetRelationalTypeMapping())).ToArray();
        if (columns.Any(c => c.Property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) && c.Property.ClrType != typeof(Guid)))
            throw new InvalidOperationException($"{typeof(T).Name} has store-generated columns; bulk insert writes every column itself.");

        var sql = db.GetService<ISqlGenerationHelper>();
        var rowsPerStatement = Math.Min(MaxRowsPerStatement, MaxParametersPerStatement / columns.Length);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();

        DbCommand? command = null;
        try
        {
            for (var offset = 0; offset < rows.Count; offset += rowsPerStatement)
            {
                var count = Math.Min(rowsPerStatement, rows.Count - offset);
                if (command is null || command.Parameters.Count != count * columns.Length)
                {
                    if (command is not null) await command.DisposeAsync();
                    command = CreateCommand(connection, transaction, sql, table, columns, count);
                }
                for (var row = 0; row < count; row++)
                {
                    var entity = rows[offset + row];
                    for (var column = 0; column < columns.Length; column++)
                        command.Parameters[row * columns.Length + column].Value = columns[column].ProviderValue(entity);
                }
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            if (command is not null) await command.DisposeAsync();
        }
    }

    private static DbCommand CreateCommand(DbConnection connection, DbTransaction? transaction, ISqlGenerationHelper sql,
        StoreObjectIdentifier table, Column[] columns, int rowCount)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var text = new StringBuilder("INSERT INTO ")
            .Append(sql.DelimitIdentifier(table.Name, table.Schema))
            .Append(" (")
            .AppendJoin(", ", columns.Select(c => sql.DelimitIdentifier(c.Name)))
            .Append(") VALUES ");
        for (var row = 0; row < rowCount; row++)
        {
            text.Append(row == 0 ? "(" : ", (");
            for (var column = 0; column < columns.Length; column++)
            {
                var name = $"p{row * columns.Length + column}";
                text.Append(column == 0 ? "" : ", ").Append(sql.GenerateParameterNamePlaceholder(name));
                var parameter = columns[column].Mapping.CreateParameter(command, sql.GenerateParameterName(name), null, columns[column].Property.IsNullable);
                command.Parameters.Add(parameter);
            }
            text.Append(')');
        }
        command.CommandText = text.ToString();
        return command;
    }

    private sealed record Column(IProperty Property, string Name, RelationalTypeMapping Mapping)
    {
        private readonly IClrPropertyGetter _getter = Property.GetGetter();

        public object ProviderValue(object entity)
        {
            var value = _getter.GetClrValue(entity);
            if (value is not null && Mapping.Converter is { } converter) value = converter.ConvertToProvider(value);
            return value ?? DBNull.Value;
        }
    }
}
