using System.Globalization;
using Latch.Server.Graph.OData;
using static Latch.Server.Tests.OData.Gadgets;

namespace Latch.Server.Tests.OData;

/// <summary>$orderby, the tie-breaker that makes pages stable, and walking every page with $top and $skiptoken.</summary>
public sealed class OrderAndPageTests
{
    private static string[] Ordered(params (string Name, string Value)[] options)
    {
        var query = Parse(options);
        return [.. query.ApplyOrderAndPage(query.ApplyFilter(Fleet.AsQueryable()), g => g.Id).Select(g => g.Name)];
    }

    [Fact]
    public void Without_orderby_the_tie_breaker_orders_the_list() =>
        // Ids 1..6 belong to alpha-2, Bravo, Echo, Alpha, Delta+1, Charlie.
        Assert.Equal(["alpha-2", "Bravo", "Echo", "Alpha", "Delta+1", "Charlie"], Ordered());

    [Fact]
    public void Orderby_one_key_ascending_and_descending()
    {
        Assert.Equal(["Alpha", "Bravo", "Charlie", "Delta+1", "Echo", "alpha-2"], Ordered(("$orderby", "deviceName")));
        Assert.Equal(["Alpha", "Bravo", "Charlie", "Delta+1", "Echo", "alpha-2"], Ordered(("$orderby", "deviceName asc")));
        Assert.Equal(["alpha-2", "Echo", "Delta+1", "Charlie", "Bravo", "Alpha"], Ordered(("$orderby", "deviceName DESC")));
    }

    [Fact]
    public void Orderby_several_keys_applies_them_in_turn()
    {
        // Ordinal, as SQL compares: Android < Windows < iOS. Within Android, newest first puts Bravo's null last.
        Assert.Equal(["Delta+1", "Bravo", "alpha-2", "Alpha", "Charlie", "Echo"],
            Ordered(("$orderby", "operatingSystem asc, lastSyncDateTime desc")));
        Assert.Equal(["Echo", "Charlie", "Alpha", "alpha-2", "Bravo", "Delta+1"],
            Ordered(("$orderby", "operatingSystem desc,lastSyncDateTime")));
    }

    [Fact]
    public void Equal_keys_fall_back_to_the_tie_breaker_whatever_the_direction()
    {
        // ann: alpha-2 (id 1), Alpha (id 4); bob: Echo (id 3), Delta+1 (id 5). The tie-breaker stays ascending.
        Assert.Equal(["Bravo", "Charlie", "alpha-2", "Alpha", "Echo", "Delta+1"], Ordered(("$orderby", "userPrincipalName")));
        Assert.Equal(["Echo", "Delta+1", "alpha-2", "Alpha", "Charlie", "Bravo"], Ordered(("$orderby", "userPrincipalName desc")));
        // Same instant for Alpha (id 4) and Delta+1 (id 5).
        Assert.Equal(["Alpha", "Delta+1"], Ordered(("$orderby", "lastSyncDateTime"), ("$filter", "lastSyncDateTime eq 2026-11-27T09:00:00Z")));
    }

    [Fact]
    public void The_parsed_orderby_is_visible()
    {
        Assert.Equal([new ODataOrderBy("operatingSystem", false), new ODataOrderBy("lastSyncDateTime", true)],
            Parse(("$orderby", "operatingSystem,lastSyncDateTime desc")).OrderBy);
    }

    [Theory]
    [InlineData("foo", "'foo' is not a property that can be sorted on. Sortable properties: deviceName, userPrincipalName, lastSyncDateTime, operatingSystem.")]
    [InlineData("isSupervised", "'isSupervised' is not a property that can be sorted on.")]
    [InlineData("id desc", "'id' is not a property that can be sorted on.")]
    [InlineData("deviceName sideways", "Unexpected 'sideways' after 'deviceName' in $orderby; expected asc or desc.")]
    [InlineData("deviceName asc desc", "Unexpected 'asc desc' after 'deviceName' in $orderby; expected asc or desc.")]
    [InlineData("deviceName,deviceName desc", "'deviceName' appears more than once in $orderby.")]
    [InlineData("deviceName,", "The $orderby query option has an empty item; write 'property [asc|desc]' separated by commas.")]
    [InlineData("", "The $orderby query option has an empty item")]
    public void Orderby_on_anything_but_a_sortable_property_is_refused(string orderBy, string expected) =>
        Assert.StartsWith(expected, Refused(("$orderby", orderBy)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_page_takes_one_extra_item_to_tell_whether_another_follows()
    {
        var query = Parse(("$top", "2"));
        Assert.Equal(3, query.ApplyOrderAndPage(Fleet.AsQueryable(), g => g.Id).Count());
        var all = Parse(("$top", "6"));
        Assert.Equal(6, all.ApplyOrderAndPage(Fleet.AsQueryable(), g => g.Id).Count());
    }

    [Theory]
    [InlineData(5, "", 23)]
    [InlineData(5, "deviceName desc", 23)]
    [InlineData(4, "userPrincipalName,lastSyncDateTime desc", 23)]
    [InlineData(1, "operatingSystem", 7)]
    [InlineData(7, "deviceName", 7)]
    [InlineData(10, "deviceName", 0)]
    public void Following_skiptokens_visits_every_item_once_in_order(int top, string orderBy, int fleetSize)
    {
        // Few distinct names, owners and dates, so most of the order rests on the tie-breaker; ids are shuffled.
        var fleet = Enumerable.Range(0, fleetSize).Select(i => new Gadget(
            Guid.Parse($"00000000-0000-0000-0000-{i * 7919 % 1000:000000000000}"), $"Gadget {i % 3}",
            i % 4 == 0 ? null : $"user{i % 2}", i % 2 == 0,
            i % 5 == 0 ? null : At("2026-11-20T00:00:00Z").AddDays(i % 3), i % 2 == 0 ? "iOS" : "Android")).ToList();
        (string Name, string Value)[] options = orderBy.Length == 0
            ? [("$top", top.ToString(CultureInfo.InvariantCulture))]
            : [("$top", top.ToString(CultureInfo.InvariantCulture)), ("$orderby", orderBy)];
        // The same order in one page of the default size (100).
        var whole = Parse([.. options.Where(o => o.Name != "$top")]).ApplyOrderAndPage(fleet.AsQueryable(), g => g.Id).ToList();

        var seen = new List<Gadget>();
        string? token = null;
        var pages = 0;
        do
        {
            var query = Parse(token is null ? options : [.. options, ("$skiptoken", token)]);
            var rows = query.ApplyOrderAndPage(fleet.AsQueryable(), g => g.Id).ToList();
            var hasMore = rows.Count > query.Top;
            seen.AddRange(rows.Take(query.Top));
            token = query.NextSkipToken(hasMore);
            Assert.True(++pages <= fleetSize + 1, "paging does not end");
        } while (token is not null);

        Assert.Equal(whole, seen);
        Assert.Equal(fleetSize, seen.Select(g => g.Id).Distinct().Count());
        Assert.Equal(Math.Max(1, (fleetSize + top - 1) / top), pages);
    }

    [Fact]
    public void Paging_applies_after_the_filter()
    {
        var first = Parse(("$filter", "operatingSystem eq 'iOS'"), ("$top", "2"), ("$orderby", "deviceName"));
        var rows = first.ApplyOrderAndPage(first.ApplyFilter(Fleet.AsQueryable()), g => g.Id).ToList();
        Assert.Equal(["Alpha", "Charlie", "Echo"], rows.Select(g => g.Name));
        var token = first.NextSkipToken(rows.Count > first.Top);

        var second = Parse(("$filter", "operatingSystem eq 'iOS'"), ("$top", "2"), ("$orderby", "deviceName"), ("$skiptoken", token!));
        var last = second.ApplyOrderAndPage(second.ApplyFilter(Fleet.AsQueryable()), g => g.Id).ToList();
        Assert.Equal(["Echo"], last.Select(g => g.Name));
        Assert.Null(second.NextSkipToken(last.Count > second.Top));
    }
}
