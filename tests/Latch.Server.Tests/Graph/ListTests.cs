using System.Net;
using System.Text.Json;
using Latch.Core.Access;
using Latch.Core.Data;
using Latch.Core.Groups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

/// <summary>Collections with OData options, paging and scopes (/deviceManagement, /users/{id}, /me), read as raw JSON.</summary>
public sealed class ListTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private LatchAppFactory _app = null!;
    private string _graceToken = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await using var scope = _app.Services.CreateAsyncScope();
        _graceToken = (await scope.ServiceProvider.GetRequiredService<ApiTokens>()
            .IssueAsync("grace.hopper@demo.latch.example", AdminRole.HelpDeskOperator)).Secret;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Client(string token = AdminToken) => _app.ClientWith(token);

    private async Task<JsonElement> GetJsonAsync(string url, string token = AdminToken, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await Client(token).GetAsync(url);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static List<string> Values(JsonElement page, string property) =>
        page.GetProperty("value").EnumerateArray().Select(v => v.GetProperty(property).GetString()!).ToList();

    private async Task<int> CountAsync(Func<LatchDbContext, Task<int>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    [Fact]
    public async Task Filter_OnAnEnumProperty_WithCount()
    {
        var page = await GetJsonAsync("/v1.0/deviceManagement/managedDevices?$filter=operatingSystem%20eq%20'iOS'&$count=true");
        var iosDevices = await CountAsync(db => db.Devices.CountAsync(d => d.Platform == Latch.Core.Devices.Platform.IOS));

        Assert.All(Values(page, "operatingSystem"), os => Assert.Equal("iOS", os));
        Assert.Equal(iosDevices, page.GetProperty("value").GetArrayLength());
        Assert.Equal(iosDevices, page.GetProperty("@odata.count").GetInt32());
        Assert.EndsWith("/v1.0/$metadata#deviceManagement/managedDevices", page.GetProperty("@odata.context").GetString());
    }

    [Fact]
    public async Task Paging_FollowsAbsoluteNextLinks_ThroughEveryDeviceOnce()
    {
        var seen = new List<string>();
        var url = "/v1.0/deviceManagement/managedDevices?$top=5&$orderby=deviceName";
        var pages = 0;
        while (url is not null)
        {
            var page = await GetJsonAsync(url);
            seen.AddRange(Values(page, "id"));
            url = page.TryGetProperty("@odata.nextLink", out var next) ? next.GetString() : null;
            if (url is not null) Assert.StartsWith("http://localhost/v1.0/deviceManagement/managedDevices?", url);
            pages++;
        }
        var total = await CountAsync(db => db.Devices.CountAsync());
        Assert.Equal(total, seen.Distinct().Count());
        Assert.Equal(total, seen.Count);
        Assert.Equal((total + 4) / 5, pages);
    }

    [Fact]
    public async Task SelectStartswithAndOrderby_ShapeTheResult()
    {
        var page = await GetJsonAsync("/v1.0/deviceManagement/managedDevices?$filter=startswith(deviceName,'Ada')&$select=deviceName,managementAgent&$orderby=deviceName%20desc");
        var names = Values(page, "deviceName");

        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.StartsWith("Ada", n));
        Assert.Equal(names.OrderByDescending(n => n, StringComparer.Ordinal), names);
        Assert.All(page.GetProperty("value").EnumerateArray(), v =>
            Assert.Equal(["deviceName", "managementAgent"], v.EnumerateObject().Select(p => p.Name).Order()));
    }

    [Theory]
    [InlineData("$filter=foo%20eq%20'x'", "'foo' is not a property that can be filtered")]
    [InlineData("$expand=users", "'$expand' is not supported")]
    [InlineData("$top=5000", "$top")]
    [InlineData("$filter=deviceName%20eq", "")]
    [InlineData("$skiptoken=garbage!", "skiptoken")]
    public async Task BadOptions_Are400_NamingTheProblem(string query, string expected)
    {
        var json = await GetJsonAsync($"/v1.0/deviceManagement/managedDevices?{query}", expected: HttpStatusCode.BadRequest);
        Assert.Equal("BadRequest", json.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(expected, json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UsersScope_ShowsAndActsOnThatUsersDevicesOnly()
    {
        var adas = await GetJsonAsync("/v1.0/users/ada.lovelace@demo.latch.example/managedDevices");
        Assert.All(Values(adas, "userPrincipalName"), upn => Assert.Equal("ada.lovelace@demo.latch.example", upn));
        Assert.Equal(await CountAsync(db => db.Devices.CountAsync(d => d.Owner!.UserPrincipalName == "ada.lovelace@demo.latch.example")),
            adas.GetProperty("value").GetArrayLength());

        var gracesDevice = Values(await GetJsonAsync("/v1.0/users/grace.hopper@demo.latch.example/managedDevices"), "id")[0];
        var wrongOwner = await Client().PostAsync($"/v1.0/users/ada.lovelace@demo.latch.example/managedDevices/{gracesDevice}/remoteLock", null);
        Assert.Equal(HttpStatusCode.NotFound, wrongOwner.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client().GetAsync("/v1.0/users/nobody@demo.latch.example/managedDevices")).StatusCode);
    }

    [Fact]
    public async Task Me_IsTheUserTheTokenIsNamedAfter_AndSeesOnlyTheirDevices()
    {
        var me = await GetJsonAsync("/v1.0/me", _graceToken);
        Assert.Equal("Grace Hopper", me.GetProperty("displayName").GetString());

        var mine = await GetJsonAsync("/v1.0/me/managedDevices", _graceToken);
        Assert.All(Values(mine, "userPrincipalName"), upn => Assert.Equal("grace.hopper@demo.latch.example", upn));

        var adasDevice = Values(await GetJsonAsync("/v1.0/users/ada.lovelace@demo.latch.example/managedDevices?$filter=operatingSystem%20eq%20'iOS'"), "id")[0];
        Assert.Equal(HttpStatusCode.NotFound, (await Client(_graceToken).PostAsync($"/v1.0/me/managedDevices/{adasDevice}/remoteLock", null)).StatusCode);
        var own = Values(await GetJsonAsync("/v1.0/me/managedDevices?$filter=deviceName%20eq%20'Front%20desk%20Surface%20RT'", _graceToken), "id").Single();
        Assert.Equal(HttpStatusCode.NoContent, (await Client(_graceToken).PostAsync($"/v1.0/me/managedDevices/{own}/remoteLock", null)).StatusCode);

        // The bootstrap token is not a user.
        Assert.Equal(HttpStatusCode.NotFound, (await Client().GetAsync("/v1.0/me")).StatusCode);
    }

    [Fact]
    public async Task Groups_ListTheBuiltInTree_AndTheirMembers()
    {
        var groups = await GetJsonAsync("/v1.0/groups");
        Assert.Contains("All Exchange ActiveSync Managed Devices", Values(groups, "displayName"));
        Assert.Contains("Field Sales phones", Values(groups, "displayName"));

        var members = await GetJsonAsync($"/v1.0/groups/{BuiltInGroups.AllExchangeActiveSyncManagedDevices.Id}/members?$count=true");
        var expected = await CountAsync(db => db.Devices.Where(BuiltInGroups.AllExchangeActiveSyncManagedDevices.DeviceFilter).CountAsync());
        Assert.Equal(expected, members.GetProperty("@odata.count").GetInt32());
        Assert.All(members.GetProperty("value").EnumerateArray(), m => Assert.Equal("#microsoft.graph.managedDevice", m.GetProperty("@odata.type").GetString()));

        var users = await GetJsonAsync($"/v1.0/groups/{BuiltInGroups.AllUsers.Id}/members");
        Assert.All(users.GetProperty("value").EnumerateArray(), m => Assert.Equal("#microsoft.graph.user", m.GetProperty("@odata.type").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await Client().GetAsync($"/v1.0/groups/{Guid.NewGuid()}/members")).StatusCode);
    }

    [Fact]
    public async Task AuditEvents_RecordActionRequests_Filterable()
    {
        var own = Values(await GetJsonAsync("/v1.0/me/managedDevices", _graceToken), "id")[0];
        await Client(_graceToken).PostAsync($"/v1.0/me/managedDevices/{own}/remoteLock", null);

        var events = await GetJsonAsync("/v1.0/deviceManagement/auditEvents?$filter=activityType%20eq%20'action.requested'%20and%20actor%20eq%20'grace.hopper@demo.latch.example'");
        var single = Assert.Single(events.GetProperty("value").EnumerateArray());
        Assert.Contains("RemoteLock for 1 device", single.GetProperty("displayName").GetString());
    }
}
