using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Data.Prepared;

/// <summary>
/// One SQL statement the device protocols run many times a second, kept prepared on each connection that runs it.
/// Through EF Core a one-row statement costs ≈ 100–400 µs of CPU here (LINQ translation and caching, a command and a
/// prepare each time); prepared, ≈ 10–30 µs. Parameters are made by the columns' EF Core type mappings, so values are
/// stored exactly as EF Core stores them. Everything that is not on a device's hot path stays in EF Core.
/// </summary>
internal sealed class PreparedStatement(string sql, params (string Name, RelationalTypeMapping Mapping)[] parameters)
{
    // A connection's commands, while it stays open: a context that keeps its connection open (the WriteBatcher's writer)
    // compiles each statement once; one that opens per transaction compiles it once per transaction.
    private static readonly ConditionalWeakTable<DbConnection, Dictionary<PreparedStatement, DbCommand>> Commands = new();

    public string Sql => sql;

    /// <summary>
    /// The statement as a command on <paramref name="db"/>'s connection (which must be open), in its current transaction,
    /// with <paramref name="values"/> (property values, in parameter order) converted to what the columns store.
    /// </summary>
    public DbCommand Bind(DbContext db, params ReadOnlySpan<object?> values)
    {
        if (values.Length != parameters.Length)
            throw new ArgumentException($"The statement takes {parameters.Length} values, not {values.Length}.", nameof(values));
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var commands = Commands.GetValue(connection, Track);
        if (!commands.TryGetValue(this, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = transaction;
            // A size set from the first value would cut a later, longer one (Microsoft.Data.Sqlite even cuts text to an
            // explicit 0): -1 is "no limit" for both providers.
            const int unlimited = -1;
            for (var i = 0; i < parameters.Length; i++)
            {
                var parameter = parameters[i].Mapping.CreateParameter(command, parameters[i].Name, values[i], nullable: true);
                parameter.Size = unlimited;
                command.Parameters.Add(parameter);
            }
            command.Prepare();
            commands[this] = command;
            return command;
        }

        command.Transaction = transaction;
        for (var i = 0; i < parameters.Length; i++)
        {
            var converter = parameters[i].Mapping.Converter;
            command.Parameters[i].Value = (converter is null || values[i] is null ? values[i] : converter.ConvertToProvider(values[i])) ?? DBNull.Value;
        }
        return command;
    }

    // A command's compiled statement belongs to the open connection: a closed connection's commands are dropped (a pooled
    // SQLite connection reopened under the same object would otherwise run a statement finalised with the old handle).
    private static Dictionary<PreparedStatement, DbCommand> Track(DbConnection connection)
    {
        var commands = new Dictionary<PreparedStatement, DbCommand>();
        connection.StateChange += (_, change) =>
        {
            if (change.CurrentState != System.Data.ConnectionState.Closed) return;
            foreach (var command in commands.Values) command.Dispose();
            commands.Clear();
        };
        return commands;
    }

    public async Task<int> ExecuteAsync(DbContext db, CancellationToken cancellationToken, params object?[] values) =>
        await Bind(db, values).ExecuteNonQueryAsync(cancellationToken);
}
