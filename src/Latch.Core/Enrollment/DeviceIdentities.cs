using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Latch.Core.Enrollment;

/// <summary>
/// A channel's enrolment record that a device identity certificate signs for (Apple: <see cref="AppleEnrollment"/>).
/// Every write to such a table, by any code, retires what <see cref="DeviceIdentities"/> remembers (<see cref="EnrollmentWrites"/>).
/// </summary>
public interface IEnrollmentRecord
{
    Guid Id { get; }

    /// <summary>SHA-256 of the identity certificate's DER bytes, upper-case hex.</summary>
    string CertificateThumbprint { get; }

    Guid? DeviceId { get; }
}

/// <summary>Who a device identity certificate is: the channel it enrolled through and its enrolment there.</summary>
public sealed record EnrolledIdentity(string Channel, IEnrollmentRecord Enrollment)
{
    public Guid? DeviceId => Enrollment.DeviceId;
}

/// <summary>
/// Device identities by certificate thumbprint, as the last read found them, so that a device's every request does not
/// look its enrolment up again: one map for every channel. Any write to an enrolment table moves <see cref="Generation"/>
/// after its commit and so retires every entry read before it (enrolment writes are rare: issue, Authenticate,
/// TokenUpdate, CheckOut, a push token found invalid). Entries are shared between requests and must not be changed.
/// Active only when this process is the database's only writer (<see cref="DatabaseWriters"/>).
/// </summary>
public sealed class DeviceIdentities(IOptions<DatabaseWriters> writers)
{
    public const int Capacity = 1_000_000;

    private readonly bool _enabled = writers.Value.OnlyThisProcess;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Read before the query whose answer is then passed to <see cref="Remember"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public EnrolledIdentity? Find(string thumbprint) =>
        _enabled && _entries.TryGetValue(thumbprint, out var entry) && entry.Generation == Generation ? entry.Identity : null;

    public void Remember(EnrolledIdentity identity, long generationBeforeRead)
    {
        if (!_enabled) return;
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[identity.Enrollment.CertificateThumbprint] = new Entry(identity, generationBeforeRead);
    }

    /// <summary>An enrolment was written and committed. Called by <see cref="EnrollmentWrites"/>, not by the writers.</summary>
    internal void Forget() => Interlocked.Increment(ref _generation);

    private sealed record Entry(EnrolledIdentity Identity, long Generation);
}

/// <summary>
/// The one place that retires remembered identities: it sees every statement EF Core runs, and one that writes an
/// enrolment table (an entity that is an <see cref="IEnrollmentRecord"/>) makes <see cref="DeviceIdentities"/> forget,
/// once that write is committed — whichever code wrote it, through SaveChanges or ExecuteUpdate.
/// </summary>
public sealed class EnrollmentWrites(DeviceIdentities identities) : DbCommandInterceptor
{
    private static readonly ConditionalWeakTable<IModel, string[]> WritesByModel = new();

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Watch(command, eventData.Context);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        Watch(command, eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Watch(command, eventData.Context);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        Watch(command, eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Watch(DbCommand command, DbContext? context)
    {
        if (context is not LatchDbContext db) return;
        var sql = command.CommandText;
        var writes = WritesByModel.GetValue(db.Model, model => EnrollmentWritePrefixes(model, db.GetService<ISqlGenerationHelper>()));
        if (!writes.Any(write => sql.Contains(write, StringComparison.Ordinal))) return;
        // Inside a transaction the write counts once committed; a statement on its own is committed already.
        if (db.Database.CurrentTransaction is null) identities.Forget();
        else db.AfterCommit(identities.Forget);
    }

    // The statements EF Core writes a table with, as both providers spell them (a column such as "TokenUpdatedAt" is no UPDATE).
    private static string[] EnrollmentWritePrefixes(IModel model, ISqlGenerationHelper sql) =>
        model.GetEntityTypes().Where(e => typeof(IEnrollmentRecord).IsAssignableFrom(e.ClrType) && e.GetTableName() is not null)
            .Select(e => sql.DelimitIdentifier(e.GetTableName()!, e.GetSchema()))
            .SelectMany(table => new[] { $"INSERT INTO {table}", $"UPDATE {table}", $"DELETE FROM {table}" }).ToArray();
}
