using System.Globalization;
using System.Linq.Expressions;
using Microsoft.AspNetCore.Http;

namespace Latch.Server.Graph.OData;

/// <summary>Reads the OData query options of a Graph list request.</summary>
public static class ODataQuery
{
    private static readonly string[] Supported = ["$filter", "$select", "$top", "$orderby", "$count", "$skiptoken"];

    /// <summary>
    /// Reads $filter, $select, $top, $orderby, $count and $skiptoken; any other option starting with '$' is refused,
    /// as is an option given twice. Values arrive percent-decoded by ASP.NET Core and are taken as they are.
    /// </summary>
    /// <exception cref="ODataQueryException">An option is malformed, unknown or not allowed by the model.</exception>
    public static ODataQuery<T> Parse<T>(IQueryCollection query, ODataModel<T> model, int defaultPageSize = 100, int maxTop = 1000)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(model);
        // Halving keeps skip + top and top + 1 clear of overflow.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTop, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxTop, int.MaxValue / 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(defaultPageSize, maxTop);

        foreach (var (key, values) in query)
        {
            if (!key.StartsWith('$')) continue;
            if (!Supported.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new ODataQueryException($"The query option '{key}' is not supported. Supported options: {string.Join(", ", Supported)}.");
            if (values.Count > 1) throw new ODataQueryException($"The query option '{key}' is given more than once.");
        }

        return new ODataQuery<T>(
            model,
            Value(query, "$filter") is { } filter ? FilterParser.Parse(filter, model) : null,
            Value(query, "$select") is { } select ? ParseSelect(select, model) : null,
            Value(query, "$top") is { } top ? ParseTop(top, maxTop) : defaultPageSize,
            Value(query, "$orderby") is { } orderBy ? ParseOrderBy(orderBy, model) : [],
            Value(query, "$count") is { } count && ParseCount(count),
            Value(query, "$skiptoken") is { } skipToken ? ParseSkipToken(skipToken) : 0);
    }

    // IQueryCollection matches keys case-insensitively, as OData 4.01 asks for option names.
    private static string? Value(IQueryCollection query, string option) =>
        query.TryGetValue(option, out var values) && values is [var value] ? value ?? "" : null;

    private static HashSet<string>? ParseSelect<T>(string value, ODataModel<T> model)
    {
        if (value.Trim() == "*") return null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (name.Length == 0)
                throw new ODataQueryException("The $select query option has an empty name; separate property names with single commas.");
            if (!model.IsSelectable(name))
                throw new ODataQueryException(
                    $"'{name}' is not a property that can be selected. Selectable properties: {List(model.SelectableNames)}.");
            names.Add(name);
        }
        return names;
    }

    private static int ParseTop(string value, int maxTop) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var top) && top >= 1 && top <= maxTop
            ? top
            : throw new ODataQueryException($"The $top value '{value}' is not a whole number from 1 to {maxTop}.");

    private static List<ODataOrderBy> ParseOrderBy<T>(string value, ODataModel<T> model)
    {
        var orderBy = new List<ODataOrderBy>();
        foreach (var item in value.Split(','))
        {
            var words = item.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length == 0)
                throw new ODataQueryException("The $orderby query option has an empty item; write 'property [asc|desc]' separated by commas.");
            var name = words[0];
            if (model.Sortable(name) is null)
                throw new ODataQueryException(
                    $"'{name}' is not a property that can be sorted on. Sortable properties: {List(model.SortableNames)}.");
            if (words.Length > 2 || (words.Length == 2 && !IsDirection(words[1])))
                throw new ODataQueryException($"Unexpected '{string.Join(' ', words[1..])}' after '{name}' in $orderby; expected asc or desc.");
            if (orderBy.Exists(o => o.Property == name))
                throw new ODataQueryException($"'{name}' appears more than once in $orderby.");
            orderBy.Add(new ODataOrderBy(name, words.Length == 2 && words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)));
        }
        return orderBy;
    }

    private static bool IsDirection(string word) =>
        word.Equals("asc", StringComparison.OrdinalIgnoreCase) || word.Equals("desc", StringComparison.OrdinalIgnoreCase);

    private static bool ParseCount(string value) =>
        value.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : value.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
        : throw new ODataQueryException($"The $count value '{value}' is not valid; use true or false.");

    private static int ParseSkipToken(string value) =>
        SkipToken.TryDecode(value, out var offset) && offset <= int.MaxValue / 2
            ? offset
            : throw new ODataQueryException("The $skiptoken is not valid; follow the @odata.nextLink of the previous page.");

    private static string List(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "(none)";
}

/// <summary>One $orderby item.</summary>
public sealed record ODataOrderBy(string Property, bool Descending);

/// <summary>A parsed, validated set of query options for a list of <typeparamref name="T"/>; apply it to an EF Core query.</summary>
public sealed class ODataQuery<T>
{
    private readonly ODataModel<T> _model;

    internal ODataQuery(ODataModel<T> model, Expression<Func<T, bool>>? filter, IReadOnlySet<string>? select, int top,
        IReadOnlyList<ODataOrderBy> orderBy, bool count, int skip)
    {
        _model = model;
        Filter = filter;
        Select = select;
        Top = top;
        OrderBy = orderBy;
        Count = count;
        Skip = skip;
    }

    /// <summary>The $filter as one lambda over the registered property expressions; null when there is none.</summary>
    public Expression<Func<T, bool>>? Filter { get; }

    /// <summary>The $select names as registered; null means all properties.</summary>
    public IReadOnlySet<string>? Select { get; }

    /// <summary>The page size: $top, or the default page size.</summary>
    public int Top { get; }

    public IReadOnlyList<ODataOrderBy> OrderBy { get; }

    /// <summary>$count=true: the response carries @odata.count, the number of items matching the filter across all pages.</summary>
    public bool Count { get; }

    /// <summary>Items to skip, from $skiptoken.</summary>
    public int Skip { get; }

    public IQueryable<T> ApplyFilter(IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Filter is null ? source : source.Where(Filter);
    }

    /// <summary>
    /// Orders by $orderby and then by <paramref name="tieBreaker"/> (a unique key, so pages neither overlap nor skip
    /// items), skips to the page and takes <see cref="Top"/> + 1 items: the extra one says whether a next page exists.
    /// </summary>
    public IQueryable<T> ApplyOrderAndPage<TKey>(IQueryable<T> source, Expression<Func<T, TKey>> tieBreaker)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tieBreaker);
        IOrderedQueryable<T> ordered;
        if (OrderBy.Count == 0)
        {
            ordered = source.OrderBy(tieBreaker);
        }
        else
        {
            ordered = Key(OrderBy[0]).OrderBy(source, OrderBy[0].Descending);
            foreach (var item in OrderBy.Skip(1)) ordered = Key(item).ThenBy(ordered, item.Descending);
            ordered = ordered.ThenBy(tieBreaker);
        }
        return ordered.Skip(Skip).Take(Top + 1);
    }

    /// <summary>The $skiptoken of the next page, or null when <paramref name="hasMore"/> is false (fewer than Top + 1 items came back).</summary>
    public string? NextSkipToken(bool hasMore) => hasMore ? SkipToken.Encode(Skip + Top) : null;

    private SortKey<T> Key(ODataOrderBy item) => _model.Sortable(item.Property)!;
}
