using Latch.Server.Graph.OData;
using static Latch.Server.Tests.OData.Gadgets;

namespace Latch.Server.Tests.OData;

/// <summary>Every way a $filter is refused, and that the message says what is wrong and where.</summary>
public sealed class FilterErrorTests
{
    private static string Error(string filter) => Refused(("$filter", filter)).Message;

    [Fact]
    public void An_unknown_property_is_named_with_the_filterable_ones()
    {
        Assert.Equal(
            "'foo' is not a property that can be filtered. Filterable properties: id, deviceName, userPrincipalName, isSupervised, lastSyncDateTime, operatingSystem.",
            Error("foo eq 'x'"));
        // Selectable is not filterable.
        Assert.StartsWith("'notes' is not a property that can be filtered.", Error("notes eq 'x'"), StringComparison.Ordinal);
        Assert.StartsWith("'foo' is not a property that can be filtered.", Error("startswith(foo,'x')"), StringComparison.Ordinal);
    }

    [Fact]
    public void Property_names_are_case_sensitive_with_a_hint()
    {
        var message = Error("DeviceName eq 'Alpha'");
        Assert.StartsWith("'DeviceName' is not a property that can be filtered.", message, StringComparison.Ordinal);
        Assert.EndsWith("did you mean 'deviceName'?", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("isSupervised eq 'true'", "isSupervised is a Boolean; compare it with true or false.")]
    [InlineData("isSupervised eq 1", "isSupervised is a Boolean; compare it with true or false.")]
    [InlineData("isSupervised eq null", "isSupervised is a Boolean; compare it with true or false.")]
    [InlineData("isSupervised gt true", "isSupervised is a Boolean; it supports eq and ne, not gt.")]
    [InlineData("deviceName eq Alpha", "deviceName is a String; compare it with a quoted string like 'Alpha' or with null.")]
    [InlineData("deviceName eq true", "deviceName is a String; compare it with a quoted string like 'true' or with null.")]
    [InlineData("deviceName lt 'B'", "deviceName is a String; it supports eq, ne and startswith(deviceName,'...'), not lt.")]
    [InlineData("id eq 'abc'", "id is a Guid; 'abc' is not a GUID (like 0f8fad5b-d9cb-469f-a165-70867728950e).")]
    [InlineData("id eq 0f8fad5bd9cb469fa16570867728950e", "id is a Guid; '0f8fad5bd9cb469fa16570867728950e' is not a GUID")]
    [InlineData("id ge 0f8fad5b-d9cb-469f-a165-708677289506", "id is a Guid; it supports eq and ne, not ge.")]
    [InlineData("lastSyncDateTime eq '2026-11-27T09:00:00Z'", "lastSyncDateTime is a DateTimeOffset; write the date-time without quotes, like 2026-11-27T09:00:00Z.")]
    [InlineData("lastSyncDateTime gt yesterday", "lastSyncDateTime is a DateTimeOffset; compare it with a date-time like 2026-11-27T09:00:00Z or with null, not 'yesterday'.")]
    [InlineData("lastSyncDateTime gt 11/27/2026", "not '11/27/2026'.")]
    [InlineData("lastSyncDateTime gt 2026-13-45T09:00:00Z", "not '2026-13-45T09:00:00Z'.")]
    [InlineData("lastSyncDateTime gt null", "Only eq and ne can compare lastSyncDateTime with null.")]
    [InlineData("startswith(isSupervised,'t')", "startswith needs a String property; isSupervised is a Boolean.")]
    [InlineData("startswith(deviceName,Al)", "startswith needs a quoted string as its second argument, like startswith(deviceName,'abc'); found 'Al' at position 23.")]
    public void A_value_of_the_wrong_type_is_refused_naming_the_property_type(string filter, string expected) =>
        Assert.Contains(expected, Error(filter), StringComparison.Ordinal);

    [Theory]
    [InlineData("contains(deviceName,'lph')", "The function 'contains' is not supported; use startswith.")]
    [InlineData("endswith(deviceName,'a')", "The function 'endswith' is not supported; use startswith.")]
    [InlineData("tolower(deviceName) eq 'alpha'", "The function 'tolower' is not supported; use startswith.")]
    [InlineData("deviceName in ('Alpha','Bravo')", "The operator 'in' is not supported; combine eq comparisons with or instead.")]
    [InlineData("deviceName has 'x'", "The operator 'has' is not supported. Supported: eq, ne, gt, ge, lt, le, and, or, not, startswith().")]
    [InlineData("isSupervised add true", "The operator 'add' is not supported.")]
    [InlineData("deviceName like 'A%'", "Expected an operator (eq, ne) after 'deviceName' at position 12 of $filter, found 'like'.")]
    [InlineData("lastSyncDateTime 2026-11-27T09:00:00Z", "Expected an operator (eq, ne, gt, ge, lt, le) after 'lastSyncDateTime' at position 18 of $filter")]
    public void An_unsupported_operator_or_function_is_named(string filter, string expected) =>
        Assert.Contains(expected, Error(filter), StringComparison.Ordinal);

    [Theory]
    [InlineData("deviceName eq 'Alpha", "The string starting at position 15 of $filter is not terminated; end it with ' (write '' for a quote inside it).")]
    [InlineData("userPrincipalName eq 'O''Brien", "The string starting at position 22 of $filter is not terminated")]
    [InlineData("deviceName eq 'a' or deviceName eq '", "The string starting at position 36 of $filter is not terminated")]
    public void An_unterminated_string_is_refused_with_its_position(string filter, string expected) =>
        Assert.Contains(expected, Error(filter), StringComparison.Ordinal);

    [Theory]
    [InlineData("deviceName eq 'Alpha' deviceName", "Expected 'and', 'or' or the end of the filter at position 23 of $filter, found 'deviceName'.")]
    [InlineData("deviceName eq 'Alpha')", "Expected 'and', 'or' or the end of the filter at position 22 of $filter, found ')'.")]
    [InlineData("deviceName eq 'Alpha' 'Bravo'", "Expected 'and', 'or' or the end of the filter at position 23 of $filter, found the string 'Bravo'.")]
    [InlineData("isSupervised eq true false", "Expected 'and', 'or' or the end of the filter at position 22 of $filter, found 'false'.")]
    // A raw '+' in a URL is a space once ASP.NET Core has decoded it; the offset is then left over.
    [InlineData("lastSyncDateTime eq 2026-11-27T11:00:00 02:00", "Expected 'and', 'or' or the end of the filter at position 41 of $filter, found '02:00'.")]
    public void Trailing_garbage_is_refused_with_its_position(string filter, string expected) =>
        Assert.Equal(expected, Error(filter));

    [Fact]
    public void A_raw_plus_on_the_wire_arrives_as_a_space()
    {
        var raw = Raw("?$filter=lastSyncDateTime%20eq%202026-11-27T11:00:00+02:00");
        var refused = Assert.Throws<ODataQueryException>(() => ODataQuery.Parse(raw, Model));
        Assert.EndsWith("found '02:00'.", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(ODataQuery.Parse(Raw("?$filter=lastSyncDateTime%20eq%202026-11-27T11:00:00%2B02:00"), Model).Filter);
    }

    [Theory]
    [InlineData("deviceName eq", "Expected a value after 'eq' at position 14 of $filter, found the end of the filter.")]
    [InlineData("deviceName eq 'a' and", "Expected a condition at position 22 of $filter, found the end of the filter.")]
    [InlineData("and deviceName eq 'a'", "Expected a condition at position 1 of $filter, found 'and'.")]
    [InlineData("deviceName eq 'a' or or deviceName eq 'b'", "Expected a condition at position 22 of $filter, found 'or'.")]
    [InlineData("()", "Expected a condition at position 2 of $filter, found ')'.")]
    [InlineData("(deviceName eq 'a'", "Expected ')' (to match the '(' at position 1) at position 19 of $filter, found the end of the filter.")]
    [InlineData("'Alpha' eq deviceName", "Expected a condition at position 1 of $filter, found the string 'Alpha'.")]
    [InlineData("deviceName", "Expected an operator (eq, ne) after 'deviceName' at position 11 of $filter, found the end of the filter.")]
    [InlineData("startswith(deviceName 'a')", "Expected ',' after 'deviceName' in startswith at position 23 of $filter, found the string 'a'.")]
    [InlineData("startswith(deviceName,'a'", "Expected ')' to close startswith at position 26 of $filter, found the end of the filter.")]
    [InlineData("startswith('a',deviceName)", "Expected a property name as the first argument of startswith at position 12 of $filter, found the string 'a'.")]
    public void An_incomplete_filter_says_what_was_expected_and_where(string filter, string expected) =>
        Assert.Equal(expected, Error(filter));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_filter_is_refused(string filter) =>
        Assert.Equal("The $filter query option is empty.", Error(filter));

    [Fact]
    public void Nesting_deeper_than_32_levels_is_refused()
    {
        var parentheses = new string('(', 33) + "deviceName eq 'Echo'" + new string(')', 33);
        Assert.Equal("The $filter is nested more than 32 levels deep (at position 33).", Error(parentheses));
        var nots = string.Concat(Enumerable.Repeat("not ", 33)) + "isSupervised";
        Assert.StartsWith("The $filter is nested more than 32 levels deep", Error(nots), StringComparison.Ordinal);
        // Thousands of parentheses fail fast instead of exhausting the stack.
        Assert.StartsWith("The $filter is nested more than 32 levels deep", Error(new string('(', 4000)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_filter_longer_than_4096_characters_is_refused()
    {
        var filter = "deviceName eq '" + new string('x', 4096) + "'";
        Assert.Equal($"The $filter is {filter.Length} characters long; the limit is 4096.", Error(filter));
    }

    [Fact]
    public void Keywords_and_unsplittable_names_cannot_be_registered()
    {
        var model = new ODataModel<Gadget>();
        Assert.Throws<ArgumentException>(() => model.String("and", g => g.Name));
        Assert.Throws<ArgumentException>(() => model.String("Null", g => g.Name));
        Assert.Throws<ArgumentException>(() => model.String("device name", g => g.Name));
        Assert.Throws<ArgumentException>(() => model.Selectable("a,b"));
        model.String("deviceName", g => g.Name);
        Assert.Throws<ArgumentException>(() => model.String("deviceName", g => g.Os));
    }
}
