using System.Diagnostics.CodeAnalysis;
using System.Linq.Expressions;

namespace Latch.Server.Graph.OData;

/// <summary>
/// The properties of <typeparamref name="T"/> a caller may filter, sort and select on, each under its Graph (wire)
/// name and read through an expression EF Core can translate. Build one per resource, once, and share it.
/// </summary>
public sealed class ODataModel<T>
{
    private readonly OrderedDictionary<string, FilterProperty> _filterable = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, SortKey<T>> _sortable = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, bool> _selectable = new(StringComparer.Ordinal);

    /// <summary>eq and ne with a quoted string or null, and <c>startswith(name,'text')</c>.</summary>
    [SuppressMessage("Naming", "CA1720", Justification = "Named after the OData type Edm.String, like its siblings.")]
    public ODataModel<T> String(string name, Expression<Func<T, string?>> value, bool sortable = false) =>
        Add(name, PropertyType.String, value, sortable);

    /// <summary>eq and ne with true or false; also usable on its own as a condition.</summary>
    public ODataModel<T> Boolean(string name, Expression<Func<T, bool>> value) =>
        Add(name, PropertyType.Boolean, value, sortable: false);

    /// <summary>eq, ne, gt, ge, lt and le with a bare ISO 8601 date-time such as 2026-11-27T09:00:00Z; eq and ne with null.</summary>
    public ODataModel<T> DateTime(string name, Expression<Func<T, DateTimeOffset?>> value, bool sortable = false) =>
        Add(name, PropertyType.DateTimeOffset, value, sortable);

    /// <summary>eq and ne with a GUID, bare or quoted, or null.</summary>
    [SuppressMessage("Naming", "CA1720", Justification = "Named after the OData type Edm.Guid, like its siblings.")]
    public ODataModel<T> Guid(string name, Expression<Func<T, Guid?>> value) =>
        Add(name, PropertyType.Guid, value, sortable: false);

    /// <summary>Names allowed in $select, filterable or not.</summary>
    public ODataModel<T> Selectable(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            CheckName(name);
            _selectable.TryAdd(name, true);
        }
        return this;
    }

    internal FilterProperty? Filterable(string name) => _filterable.GetValueOrDefault(name);
    internal SortKey<T>? Sortable(string name) => _sortable.GetValueOrDefault(name);
    internal bool IsSelectable(string name) => _selectable.ContainsKey(name);

    internal IEnumerable<string> FilterableNames => _filterable.Keys;
    internal IEnumerable<string> SortableNames => _sortable.Keys;
    internal IEnumerable<string> SelectableNames => _selectable.Keys;

    private ODataModel<T> Add<TValue>(string name, PropertyType type, Expression<Func<T, TValue>> value, bool sortable)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckName(name);
        if (!_filterable.TryAdd(name, new FilterProperty(name, type, value)))
            throw new ArgumentException($"'{name}' is registered twice.", nameof(name));
        if (sortable) _sortable.Add(name, SortKey<T>.For(value));
        return this;
    }

    // A name the filter lexer would split, or read as a keyword, could never be matched.
    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '\''))
            throw new ArgumentException($"'{name}' cannot be a property name: it contains whitespace, a parenthesis, a comma or a quote.", nameof(name));
        if (FilterParser.IsKeyword(name))
            throw new ArgumentException($"'{name}' cannot be a property name: it is a $filter keyword.", nameof(name));
    }
}

internal enum PropertyType { String, Boolean, DateTimeOffset, Guid }

internal sealed record FilterProperty(string Name, PropertyType Type, LambdaExpression Value);

/// <summary>Ordering by one property, captured while its key type is still known so applying it needs no reflection.</summary>
internal sealed class SortKey<T>(
    Func<IQueryable<T>, bool, IOrderedQueryable<T>> first,
    Func<IOrderedQueryable<T>, bool, IOrderedQueryable<T>> then)
{
    public static SortKey<T> For<TKey>(Expression<Func<T, TKey>> key) => new(
        (source, descending) => descending ? source.OrderByDescending(key) : source.OrderBy(key),
        (source, descending) => descending ? source.ThenByDescending(key) : source.ThenBy(key));

    public IOrderedQueryable<T> OrderBy(IQueryable<T> source, bool descending) => first(source, descending);
    public IOrderedQueryable<T> ThenBy(IOrderedQueryable<T> source, bool descending) => then(source, descending);
}
