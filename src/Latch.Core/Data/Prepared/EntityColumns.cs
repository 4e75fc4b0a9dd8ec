using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Data.Prepared;

/// <summary>
/// How an entity is stored, read from the EF Core model: its table, its columns, and how a row reads back into an
/// instance. Values go through the provider's own type mappings and value converters, so a statement written with
/// these is right on SQLite (GUIDs as text, times as ticks) and PostgreSQL alike, and follows the model when it changes.
/// </summary>
internal sealed class EntityColumns<T> where T : class
{
    private readonly Column[] _columns;
    private readonly Column[] _written;
    private readonly Dictionary<string, Column> _byProperty;
    private readonly int _key;

    public EntityColumns(IModel model, ISqlGenerationHelper sql, params string[] only)
    {
        var entity = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        Table = sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema());
        _columns = entity.GetProperties()
            .Where(p => !p.IsShadowProperty() && (only.Length == 0 || only.Contains(p.Name)))
            .Select(p => new Column(p, sql.DelimitIdentifier(p.GetColumnName()), p.GetRelationalTypeMapping(), ReaderFor(p.GetRelationalTypeMapping()),
                SetterFor(p)))
            .ToArray();
        _byProperty = _columns.ToDictionary(c => c.Property.Name);
        // What an INSERT writes: every column but a key the database generates.
        _written = _columns.Where(c => !(c.Property.IsPrimaryKey() && c.Property.ValueGenerated != ValueGenerated.Never)).ToArray();
        var key = entity.FindPrimaryKey()!.Properties.Single().Name;
        _key = Array.FindIndex(_columns, c => c.Property.Name == key);
        if (_key < 0) throw new InvalidOperationException($"The columns read for {typeof(T).Name} must include its key.");
    }

    /// <summary>The quoted table name.</summary>
    public string Table { get; }

    /// <summary>How many columns <see cref="SelectList"/> lists (the ordinal after them is the next expression's).</summary>
    public int Count => _columns.Length;

    /// <summary>The quoted column of a property.</summary>
    public string this[string property] => _byProperty[property].QuotedName;

    /// <summary>The type mapping of a property, for a parameter compared with or written to its column.</summary>
    public RelationalTypeMapping Mapping(string property) => _byProperty[property].Mapping;

    /// <summary>Every column, qualified by <paramref name="alias"/>, in the order <see cref="Read"/> reads them.</summary>
    public string SelectList(string alias) => string.Join(", ", _columns.Select(c => $"{alias}.{c.QuotedName}"));

    /// <summary>
    /// An INSERT of every column the database does not generate, with its parameters (named after the properties), and
    /// the values of an instance for them in the same order (<see cref="InsertValues"/>).
    /// </summary>
    public PreparedStatement Insert()
    {
        return new PreparedStatement(
            $"INSERT INTO {Table} ({string.Join(", ", _written.Select(c => c.QuotedName))}) " +
            $"VALUES ({string.Join(", ", _written.Select(c => "@" + c.Property.Name))})",
            _written.Select(c => ("@" + c.Property.Name, c.Mapping)).ToArray());
    }

    public object?[] InsertValues(T entity)
    {
        var values = new object?[_written.Length];
        for (var i = 0; i < values.Length; i++) values[i] = _written[i].Property.GetGetter().GetClrValueUsingContainingEntity(entity);
        return values;
    }

    /// <summary>The instance whose columns start at <paramref name="first"/>; null when its key is NULL (an outer join found none).</summary>
    public T? Read(DbDataReader reader, int first)
    {
        if (reader.IsDBNull(first + _key)) return null;
        var entity = (T)Activator.CreateInstance(typeof(T), nonPublic: true)!;
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            var value = reader.IsDBNull(first + i) ? null : column.Read(reader, first + i);
            column.Set(entity, value);
        }
        return entity;
    }

    // The reader method EF Core itself calls for this mapping (GetGuid, GetInt64 for ticks, GetFieldValue<T>...), then
    // the mapping's converter back to the property's type.
    private static Func<DbDataReader, int, object?> ReaderFor(RelationalTypeMapping mapping)
    {
        var method = mapping.GetDataReaderMethod();
        var reader = Expression.Parameter(typeof(DbDataReader));
        var ordinal = Expression.Parameter(typeof(int));
        var call = Expression.Call(Expression.Convert(reader, method.DeclaringType!), method, ordinal);
        var read = Expression.Lambda<Func<DbDataReader, int, object?>>(Expression.Convert(call, typeof(object)), reader, ordinal).Compile();
        if (mapping.Converter is not { } converter) return read;
        var fromProvider = converter.ConvertFromProvider;
        return (r, i) => fromProvider(read(r, i));
    }

    // The property's own setter (private init ones included): entities stay plain classes with no EF Core plumbing.
    private static Action<object, object?> SetterFor(IProperty property)
    {
        if (property.PropertyInfo?.SetMethod is not { } set)
            return property.FieldInfo is { } field ? field.SetValue : throw new InvalidOperationException($"{property.Name} cannot be set.");
        var entity = Expression.Parameter(typeof(object));
        var value = Expression.Parameter(typeof(object));
        var call = Expression.Call(Expression.Convert(entity, property.DeclaringType.ClrType), set, Expression.Convert(value, property.ClrType));
        return Expression.Lambda<Action<object, object?>>(call, entity, value).Compile();
    }

    private sealed record Column(IProperty Property, string QuotedName, RelationalTypeMapping Mapping, Func<DbDataReader, int, object?> Read,
        Action<object, object?> Set);
}
