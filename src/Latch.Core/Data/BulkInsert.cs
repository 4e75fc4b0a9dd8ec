using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Data;

/// <summary>
/// Writes many rows of one entity type inside the context's current transaction, bypassing change tracking,
/// which would cost more than the writes for a 100,000-device action. Each provider brings its fastest path
/// (<see cref="IBulkWriter"/>); the rows are described by the EF model, so names and conversions stay the model's.
/// </summary>
public sealed class BulkInsert(IEnumerable<IBulkWriter> writers)
{
    private readonly IBulkWriter[] _writers = writers.ToArray();

    public Task InsertAsync<T>(LatchDbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken) where T : class
    {
        if (rows.Count == 0) return Task.CompletedTask;
        if (db.Database.CurrentTransaction is null)
            throw new InvalidOperationException("Bulk inserts run inside the caller's transaction, so a failure leaves nothing half-written.");
        var provider = db.Database.ProviderName;
        var writer = _writers.FirstOrDefault(w => w.ProviderName == provider)
            ?? throw new InvalidOperationException($"No bulk writer is registered for {provider}.");
        return writer.WriteAsync(db, BulkTable.For<T>(db), rows, cancellationToken);
    }
}

/// <summary>A provider's fastest way to append rows to a table, inside the context's open transaction.</summary>
public interface IBulkWriter
{
    /// <summary>The EF Core provider this writer serves (<c>DatabaseFacade.ProviderName</c>).</summary>
    string ProviderName { get; }

    Task WriteAsync<T>(LatchDbContext db, BulkTable table, IReadOnlyList<T> rows, CancellationToken cancellationToken) where T : class;
}

/// <summary>A table's name and columns as the EF model maps them, with each value converted to what the provider stores.</summary>
public sealed class BulkTable
{
    private BulkTable(string name, IReadOnlyList<BulkColumn> columns) => (Name, Columns) = (name, columns);

    public string Name { get; }
    public IReadOnlyList<BulkColumn> Columns { get; }

    public static BulkTable For<T>(LatchDbContext db)
    {
        var entityType = db.Model.FindEntityType(typeof(T))
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not part of the model.");
        var table = StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema());
        var columns = entityType.GetProperties().Select(p => new BulkColumn(p, p.GetColumnName(table)!)).ToList();
        if (columns.Any(c => c.Property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) && c.Property.ClrType != typeof(Guid)))
            throw new InvalidOperationException($"{typeof(T).Name} has store-generated columns; a bulk insert writes every column itself.");
        return new BulkTable(table.Name, columns);
    }
}

public sealed class BulkColumn
{
    private readonly IClrPropertyGetter _getter;
    private readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? _converter;

    internal BulkColumn(IProperty property, string name)
    {
        Property = property;
        Name = name;
        _getter = property.GetGetter();
        _converter = property.GetRelationalTypeMapping().Converter;
    }

    internal IProperty Property { get; }
    public string Name { get; }

    /// <summary>The value as the provider stores it (enums as names, converted types converted), or null.</summary>
    public object? ValueOf(object entity)
    {
        var value = _getter.GetClrValue(entity);
        return value is not null && _converter is not null ? _converter.ConvertToProvider(value) : value;
    }
}
