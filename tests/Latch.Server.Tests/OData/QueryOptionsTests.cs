using Latch.Server.Graph.OData;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using static Latch.Server.Tests.OData.Gadgets;

namespace Latch.Server.Tests.OData;

/// <summary>$top, $count, $select, $skiptoken, and the options Latch does not support.</summary>
public sealed class QueryOptionsTests
{
    [Fact]
    public void Without_options_a_query_is_the_first_default_page_of_everything()
    {
        var query = Parse();
        Assert.Null(query.Filter);
        Assert.Null(query.Select);
        Assert.Empty(query.OrderBy);
        Assert.False(query.Count);
        Assert.Equal(100, query.Top);
        Assert.Equal(0, query.Skip);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("25", 25)]
    [InlineData("1000", 1000)]
    public void Top_sets_the_page_size(string top, int expected) => Assert.Equal(expected, Parse(("$top", top)).Top);

    [Fact]
    public void The_caller_sets_the_default_page_size_and_the_largest_top()
    {
        Assert.Equal(20, ODataQuery.Parse(Query(), Model, defaultPageSize: 20, maxTop: 50).Top);
        Assert.Equal(50, ODataQuery.Parse(Query(("$top", "50")), Model, defaultPageSize: 20, maxTop: 50).Top);
        var refused = Assert.Throws<ODataQueryException>(() => ODataQuery.Parse(Query(("$top", "51")), Model, defaultPageSize: 20, maxTop: 50));
        Assert.Equal("The $top value '51' is not a whole number from 1 to 50.", refused.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ODataQuery.Parse(Query(), Model, defaultPageSize: 100, maxTop: 50));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("99999999999")]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData(" 5")]
    [InlineData("")]
    public void Top_outside_1_to_max_is_refused(string top) =>
        Assert.Equal($"The $top value '{top}' is not a whole number from 1 to 1000.", Refused(("$top", top)).Message);

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("True", true)]
    public void Count_is_true_or_false(string count, bool expected) => Assert.Equal(expected, Parse(("$count", count)).Count);

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("")]
    public void Count_other_than_true_or_false_is_refused(string count) =>
        Assert.Equal($"The $count value '{count}' is not valid; use true or false.", Refused(("$count", count)).Message);

    [Fact]
    public void Select_keeps_the_registered_names_including_ones_that_cannot_be_filtered()
    {
        var select = Parse(("$select", "deviceName, id,notes")).Select;
        Assert.NotNull(select);
        Assert.Equal(["deviceName", "id", "notes"], select.Order(StringComparer.Ordinal));
        Assert.Null(Parse(("$select", "*")).Select);
    }

    [Theory]
    [InlineData("deviceName,foo", "'foo' is not a property that can be selected. Selectable properties: id, deviceName, userPrincipalName, isSupervised, lastSyncDateTime, operatingSystem, notes.")]
    [InlineData("DeviceName", "'DeviceName' is not a property that can be selected.")]
    [InlineData("deviceName,,id", "The $select query option has an empty name; separate property names with single commas.")]
    [InlineData("deviceName,", "The $select query option has an empty name")]
    [InlineData("", "The $select query option has an empty name")]
    public void Select_of_an_unknown_name_is_refused_naming_it(string select, string expected) =>
        Assert.StartsWith(expected, Refused(("$select", select)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("$expand")]
    [InlineData("$search")]
    [InlineData("$skip")]
    [InlineData("$format")]
    [InlineData("$apply")]
    public void Any_other_dollar_option_is_refused_by_name(string option) =>
        Assert.StartsWith($"The query option '{option}' is not supported.", Refused((option, "x")).Message, StringComparison.Ordinal);

    [Fact]
    public void Options_without_a_dollar_are_left_to_the_endpoint() =>
        Assert.Equal(5, Parse(("api-version", "2"), ("$top", "5")).Top);

    [Fact]
    public void Option_names_ignore_case_as_aspnetcore_reads_them()
    {
        var query = ODataQuery.Parse(Raw("?$TOP=3&$Filter=deviceName%20eq%20'Echo'"), Model);
        Assert.Equal(3, query.Top);
        Assert.NotNull(query.Filter);
    }

    [Fact]
    public void An_option_given_twice_is_refused()
    {
        Assert.Equal("The query option '$top' is given more than once.", ODataQueryError(Raw("?$top=1&$top=2")));
        Assert.Equal("The query option '$filter' is given more than once.",
            ODataQueryError(new QueryCollection(new Dictionary<string, StringValues> { ["$filter"] = new(["isSupervised", "isSupervised"]) })));
    }

    [Fact]
    public void A_skiptoken_from_NextSkipToken_reads_back_as_the_next_offset()
    {
        var first = Parse(("$top", "7"));
        var token = first.NextSkipToken(hasMore: true);
        Assert.NotNull(token);
        Assert.Null(first.NextSkipToken(hasMore: false));

        var second = Parse(("$top", "7"), ("$skiptoken", token));
        Assert.Equal(7, second.Skip);
        Assert.Equal(14, Parse(("$top", "7"), ("$skiptoken", second.NextSkipToken(true)!)).Skip);
        // Opaque to callers: not the bare number.
        Assert.NotEqual("7", token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("not a token")]
    [InlineData("LTE")] // base64url of "-1"
    [InlineData("eA")] // base64url of "x"
    [InlineData("OTk5OTk5OTk5OTk5OTk5")] // too long
    [InlineData("MjE0NzQ4MzY0Nw")] // int.MaxValue: the next offset would overflow
    public void A_malformed_skiptoken_is_refused(string token) =>
        Assert.Equal("The $skiptoken is not valid; follow the @odata.nextLink of the previous page.", Refused(("$skiptoken", token)).Message);

    private static string ODataQueryError(IQueryCollection query) =>
        Assert.Throws<ODataQueryException>(() => ODataQuery.Parse(query, Model)).Message;
}
