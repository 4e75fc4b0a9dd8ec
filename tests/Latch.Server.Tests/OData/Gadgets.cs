using System.Globalization;
using Latch.Server.Graph.OData;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Latch.Server.Tests.OData;

/// <summary>A stand-in for a device: one property of every kind the OData model knows.</summary>
public sealed record Gadget(Guid Id, string Name, string? Owner, bool Supervised, DateTimeOffset? LastSeen, string Os);

/// <summary>The test model (Graph wire names over <see cref="Gadget"/>), a small fleet, and query strings as ASP.NET Core reads them.</summary>
public static class Gadgets
{
    public static readonly ODataModel<Gadget> Model = new ODataModel<Gadget>()
        .Guid("id", g => g.Id)
        .String("deviceName", g => g.Name, sortable: true)
        .String("userPrincipalName", g => g.Owner, sortable: true)
        .Boolean("isSupervised", g => g.Supervised)
        .DateTime("lastSyncDateTime", g => g.LastSeen, sortable: true)
        .String("operatingSystem", g => g.Os, sortable: true)
        .Selectable("id", "deviceName", "userPrincipalName", "isSupervised", "lastSyncDateTime", "operatingSystem", "notes");

    public static Guid IdOf(int n) => Guid.Parse($"0f8fad5b-d9cb-469f-a165-7086772895{n:00}");

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    // Ids are deliberately not in name order, so a test can tell the tie-breaker from insertion order.
    public static readonly IReadOnlyList<Gadget> Fleet =
    [
        new(IdOf(4), "Alpha", "ann", true, At("2026-11-27T09:00:00Z"), "iOS"),
        new(IdOf(2), "Bravo", null, false, null, "Android"),
        new(IdOf(6), "Charlie", "O'Brien", true, At("2026-11-26T10:00:00Z"), "iOS"),
        new(IdOf(1), "alpha-2", "ann", false, At("2026-11-28T00:00:00Z"), "Windows"),
        new(IdOf(5), "Delta+1", "bob", false, At("2026-11-27T09:00:00Z"), "Android"),
        new(IdOf(3), "Echo", "bob", true, At("2026-11-25T23:59:59Z"), "iOS"),
    ];

    /// <summary>Options percent-encoded onto a URL and read back by ASP.NET Core's own query parser.</summary>
    public static IQueryCollection Query(params (string Name, string Value)[] options) =>
        Raw("?" + string.Join("&", options.Select(o => $"{o.Name}={Uri.EscapeDataString(o.Value)}")));

    /// <summary>A query string exactly as it would arrive on the wire.</summary>
    public static IQueryCollection Raw(string queryString) => new QueryCollection(QueryHelpers.ParseQuery(queryString));

    public static ODataQuery<Gadget> Parse(params (string Name, string Value)[] options) => ODataQuery.Parse(Query(options), Model);

    /// <summary>The names of the gadgets a $filter keeps, in ordinal order.</summary>
    public static string[] Matching(string filter) =>
        [.. Parse(("$filter", filter)).ApplyFilter(Fleet.AsQueryable()).Select(g => g.Name).Order(StringComparer.Ordinal)];

    public static ODataQueryException Refused(params (string Name, string Value)[] options) =>
        Assert.Throws<ODataQueryException>(() => ODataQuery.Parse(Query(options), Model));
}
