using Latch.Server.Graph.OData;
using static Latch.Server.Tests.OData.Gadgets;

namespace Latch.Server.Tests.OData;

/// <summary>What a valid $filter keeps, applied in memory to <see cref="Gadgets.Fleet"/>.</summary>
public sealed class FilterTests
{
    [Theory]
    [InlineData("deviceName eq 'Alpha'", "Alpha")]
    [InlineData("deviceName ne 'Alpha'", "Bravo,Charlie,Delta+1,Echo,alpha-2")]
    [InlineData("isSupervised eq true", "Alpha,Charlie,Echo")]
    [InlineData("isSupervised ne true", "Bravo,Delta+1,alpha-2")]
    [InlineData("isSupervised eq false", "Bravo,Delta+1,alpha-2")]
    [InlineData("isSupervised", "Alpha,Charlie,Echo")]
    [InlineData("lastSyncDateTime eq 2026-11-27T09:00:00Z", "Alpha,Delta+1")]
    [InlineData("lastSyncDateTime ne 2026-11-27T09:00:00Z", "Bravo,Charlie,Echo,alpha-2")]
    [InlineData("lastSyncDateTime gt 2026-11-27T09:00:00Z", "alpha-2")]
    [InlineData("lastSyncDateTime ge 2026-11-27T09:00:00Z", "Alpha,Delta+1,alpha-2")]
    [InlineData("lastSyncDateTime lt 2026-11-27T09:00:00Z", "Charlie,Echo")]
    [InlineData("lastSyncDateTime le 2026-11-27T09:00:00Z", "Alpha,Charlie,Delta+1,Echo")]
    public void Each_operator_compares_as_documented(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Theory]
    [InlineData("deviceName EQ 'Alpha' OR deviceName Eq 'Echo'", "Alpha,Echo")]
    [InlineData("STARTSWITH(deviceName,'Al')", "Alpha")]
    [InlineData("NOT isSupervised", "Bravo,Delta+1,alpha-2")]
    public void Operators_and_functions_ignore_case(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Theory]
    // and binds tighter than or: Alpha, or the unsupervised Android gadgets.
    [InlineData("deviceName eq 'Alpha' or isSupervised eq false and operatingSystem eq 'Android'", "Alpha,Bravo,Delta+1")]
    [InlineData("(deviceName eq 'Alpha' or isSupervised eq false) and operatingSystem eq 'Android'", "Bravo,Delta+1")]
    [InlineData("isSupervised eq false and operatingSystem eq 'Android' or deviceName eq 'Alpha'", "Alpha,Bravo,Delta+1")]
    // not binds tighter than and: (not supervised) and Android, not not(supervised and Android).
    [InlineData("not isSupervised and operatingSystem eq 'Android'", "Bravo,Delta+1")]
    [InlineData("not (isSupervised and operatingSystem eq 'iOS')", "Bravo,Delta+1,alpha-2")]
    [InlineData("not not isSupervised", "Alpha,Charlie,Echo")]
    [InlineData("((((deviceName eq 'Echo'))))", "Echo")]
    [InlineData("(operatingSystem eq 'iOS' and (userPrincipalName eq 'bob' or userPrincipalName eq 'ann')) or deviceName eq 'Bravo'", "Alpha,Bravo,Echo")]
    public void Precedence_is_not_then_and_then_or_and_parentheses_override_it(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Theory]
    [InlineData("startswith(deviceName,'Al')", "Alpha")]
    [InlineData("startswith(deviceName,'al')", "alpha-2")]
    [InlineData("startswith( deviceName , 'C' )", "Charlie")]
    [InlineData("startswith(deviceName,'')", "Alpha,Bravo,Charlie,Delta+1,Echo,alpha-2")]
    // A null owner is skipped rather than throwing in memory; SQL never matches NULL either.
    [InlineData("startswith(userPrincipalName,'a')", "Alpha,alpha-2")]
    [InlineData("not startswith(userPrincipalName,'a')", "Bravo,Charlie,Delta+1,Echo")]
    [InlineData("startswith(deviceName,'A') or startswith(deviceName,'E')", "Alpha,Echo")]
    public void Startswith_is_an_ordinal_prefix_match(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Theory]
    [InlineData("userPrincipalName eq null", "Bravo")]
    [InlineData("userPrincipalName ne null", "Alpha,Charlie,Delta+1,Echo,alpha-2")]
    [InlineData("lastSyncDateTime eq null", "Bravo")]
    [InlineData("lastSyncDateTime ne null", "Alpha,Charlie,Delta+1,Echo,alpha-2")]
    [InlineData("userPrincipalName eq NULL", "Bravo")]
    // ne keeps nulls, as C# and EF Core's default null semantics do.
    [InlineData("userPrincipalName ne 'ann'", "Bravo,Charlie,Delta+1,Echo")]
    public void Null_compares_with_eq_and_ne(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Fact]
    public void A_doubled_quote_is_a_quote_inside_a_string()
    {
        Assert.Equal(["Charlie"], Matching("userPrincipalName eq 'O''Brien'"));
        Assert.Equal(["Charlie"], Matching("startswith(userPrincipalName,'O''')"));
        Assert.Empty(Matching("userPrincipalName eq 'O''''Brien'"));
    }

    [Fact]
    public void Strings_keep_spaces_parentheses_and_keywords_verbatim()
    {
        Assert.Empty(Matching("deviceName eq 'Alpha or deviceName eq (Bravo), and'"));
        Assert.Empty(Matching("deviceName eq 'alpha'"));
        Assert.Empty(Matching("deviceName eq 'Alpha '"));
    }

    [Fact]
    public void A_plus_in_a_decoded_value_stays_a_plus()
    {
        Assert.Equal(["Delta+1"], Matching("deviceName eq 'Delta+1'"));
        // On the wire the plus is %2B; a raw '+' would reach us as a space, as in any form-encoded query.
        var query = ODataQuery.Parse(Raw("?$filter=deviceName%20eq%20'Delta%2B1'"), Model);
        Assert.Equal("Delta+1", Assert.Single(query.ApplyFilter(Fleet.AsQueryable())).Name);
    }

    [Theory]
    [InlineData("id eq 0f8fad5b-d9cb-469f-a165-708677289506")]
    [InlineData("id eq '0f8fad5b-d9cb-469f-a165-708677289506'")]
    [InlineData("id eq 0F8FAD5B-D9CB-469F-A165-708677289506")]
    public void A_guid_matches_bare_or_quoted_in_either_case(string filter) =>
        Assert.Equal(["Charlie"], Matching(filter));

    [Fact]
    public void Guid_ne_and_null()
    {
        Assert.Equal(5, Matching("id ne 0f8fad5b-d9cb-469f-a165-708677289506").Length);
        Assert.Empty(Matching("id eq null"));
        Assert.Equal(["Alpha", "Echo"], Matching("id eq 0f8fad5b-d9cb-469f-a165-708677289504 or id eq '0f8fad5b-d9cb-469f-a165-708677289503'"));
    }

    [Theory]
    // Both are 09:00 UTC: the offset is honoured, then compared as an instant.
    [InlineData("lastSyncDateTime eq 2026-11-27T11:00:00+02:00", "Alpha,Delta+1")]
    [InlineData("lastSyncDateTime eq 2026-11-27T04:00:00-05:00", "Alpha,Delta+1")]
    [InlineData("lastSyncDateTime eq 2026-11-27T09:00:00.000Z", "Alpha,Delta+1")]
    // No zone means UTC, not the server's local time.
    [InlineData("lastSyncDateTime eq 2026-11-27T09:00:00", "Alpha,Delta+1")]
    // A date alone is midnight UTC.
    [InlineData("lastSyncDateTime lt 2026-11-26", "Echo")]
    [InlineData("lastSyncDateTime ge 2026-11-26T00:00:00Z and lastSyncDateTime lt 2026-11-27T00:00:00Z", "Charlie")]
    public void Date_times_are_iso_8601_instants(string filter, string expected) =>
        Assert.Equal(expected.Split(','), Matching(filter));

    [Fact]
    public void No_filter_keeps_everything()
    {
        var query = Parse();
        Assert.Null(query.Filter);
        Assert.Equal(Fleet.Count, query.ApplyFilter(Fleet.AsQueryable()).Count());
    }

    [Fact]
    public void Nesting_up_to_32_levels_is_accepted()
    {
        Assert.Equal(["Echo"], Matching(new string('(', 32) + "deviceName eq 'Echo'" + new string(')', 32)));
        Assert.Equal(["Alpha", "Charlie", "Echo"], Matching(string.Concat(Enumerable.Repeat("not ", 32)) + "isSupervised"));
    }

    [Fact]
    public void A_filter_of_exactly_4096_characters_is_accepted()
    {
        var prefix = "deviceName eq '";
        var filter = prefix + new string('x', 4096 - prefix.Length - 1) + "'";
        Assert.Equal(4096, filter.Length);
        Assert.Empty(Matching(filter));
    }
}
