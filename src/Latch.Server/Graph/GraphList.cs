using System.Linq.Expressions;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Latch.Server.Graph.OData;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary>
/// One Graph collection response for every list route: OData options applied in the database, then
/// <c>@odata.context</c>, <c>@odata.count</c>, <c>value</c> (trimmed to <c>$select</c>) and an absolute
/// <c>@odata.nextLink</c> while more pages remain. A malformed or unsupported option is a 400 naming it.
/// </summary>
public static class GraphList
{
    public static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>>> PageAsync<T, TResource, TKey>(
        HttpContext http, IQueryable<T> source, ODataModel<T> model, Expression<Func<T, TKey>> tieBreaker,
        Func<IReadOnlyList<T>, Task<IReadOnlyList<TResource>>> toResources, string contextPath)
    {
        ODataQuery<T> query;
        try
        {
            query = ODataQuery.Parse(http.Request.Query, model);
        }
        catch (ODataQueryException error)
        {
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message));
        }

        var filtered = query.ApplyFilter(source);
        var paged = query.ApplyOrderAndPage(filtered, tieBreaker);
        // Database queries run asynchronously; computed collections (the built-in groups) are plain LINQ.
        var fromDatabase = source is IAsyncEnumerable<T>;
        long? count = !query.Count ? null : fromDatabase ? await filtered.LongCountAsync(http.RequestAborted) : filtered.LongCount();
        var rows = fromDatabase ? await paged.ToListAsync(http.RequestAborted) : paged.ToList();
        var hasMore = rows.Count > query.Top;
        var page = await toResources(hasMore ? rows.Take(query.Top).ToList() : rows);

        var body = new JsonObject { ["@odata.context"] = $"{BaseUrl(http)}/v1.0/$metadata#{contextPath}" };
        if (count is not null) body["@odata.count"] = count;
        if (query.NextSkipToken(hasMore) is { } token) body["@odata.nextLink"] = NextLink(http, token);
        body["value"] = new JsonArray(page.Select(resource => (JsonNode?)Trim(JsonSerializer.SerializeToNode(resource)!.AsObject(), query.Select)).ToArray());
        return TypedResults.Content(body.ToJsonString(), "application/json", Encoding.UTF8);
    }

    /// <summary>
    /// One entity, honouring <c>$select</c>; any other option makes no sense for a single entity and is a 400 rather
    /// than silently ignored. Null when the options are fine (<paramref name="select"/> then says what to keep).
    /// </summary>
    public static BadRequest<GraphErrorBody>? SingleEntityOptions<T>(HttpContext http, ODataModel<T> model, out IReadOnlySet<string>? select)
    {
        select = null;
        foreach (var key in http.Request.Query.Keys)
        {
            if (key.StartsWith('$') && !string.Equals(key, "$select", StringComparison.OrdinalIgnoreCase))
                return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                    $"The query option '{key}' does not apply to a single entity; only $select does."));
        }
        try
        {
            select = ODataQuery.Parse(http.Request.Query, model).Select;
            return null;
        }
        catch (ODataQueryException error)
        {
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message));
        }
    }

    /// <summary>The resource as JSON, trimmed to <paramref name="select"/>.</summary>
    public static ContentHttpResult Json<TResource>(TResource resource, IReadOnlySet<string>? select) =>
        TypedResults.Content(Trim(JsonSerializer.SerializeToNode(resource)!.AsObject(), select).ToJsonString(), "application/json", Encoding.UTF8);

    public static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";

    // Annotations stay; properties go unless selected.
    private static JsonObject Trim(JsonObject resource, IReadOnlySet<string>? select)
    {
        if (select is null) return resource;
        foreach (var name in resource.Select(p => p.Key).ToList())
            if (!name.StartsWith('@') && !select.Contains(name)) resource.Remove(name);
        return resource;
    }

    // The same request with the next page's token: the Graph SDK's PageIterator follows it as it is.
    private static string NextLink(HttpContext http, string skipToken)
    {
        var pairs = http.Request.Query
            .Where(p => !string.Equals(p.Key, "$skiptoken", StringComparison.OrdinalIgnoreCase))
            .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value.ToString())}")
            .Append($"$skiptoken={Uri.EscapeDataString(skipToken)}");
        return $"{BaseUrl(http)}{http.Request.Path}?{string.Join('&', pairs)}";
    }
}
