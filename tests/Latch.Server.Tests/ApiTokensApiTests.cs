using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests;

public sealed class ApiTokensApiTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "false" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Client(string token) => _app.ClientWith(token);

    [Fact]
    public async Task Administrator_IssuesAHelpDeskToken_ThatWorksUntilRevoked()
    {
        var created = await Client(AdminToken).PostAsJsonAsync("/v1.0/latch/apiTokens", new { name = "helpdesk-script", role = "HelpDeskOperator" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var secret = json.GetProperty("token").GetString()!;
        var id = json.GetProperty("id").GetString();

        var list = await Client(AdminToken).GetStringAsync("/v1.0/latch/apiTokens");
        Assert.Contains("helpdesk-script", list);
        Assert.DoesNotContain(secret, list);

        // A Help Desk Operator may act on devices but may not manage tokens.
        Assert.Equal(HttpStatusCode.NotFound, (await Client(secret).PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Client(secret).GetAsync("/v1.0/latch/apiTokens")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Client(AdminToken).DeleteAsync($"/v1.0/latch/apiTokens/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(secret).PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", null)).StatusCode);
    }

    [Theory]
    [InlineData("""{"name":"x","role":"Root"}""", "is not a role")]
    [InlineData("""{"role":"ReadOnly"}""", "needs a name")]
    [InlineData("""{"name":"x","role":"ReadOnly","expiresInDays":0}""", "expiresInDays")]
    [InlineData("""nope""", "not valid JSON")]
    public async Task BadRequests_Are400(string body, string expected)
    {
        var response = await Client(AdminToken).PostAsync("/v1.0/latch/apiTokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ExpiredToken_Is401()
    {
        string secret;
        await using (var scope = _app.Services.CreateAsyncScope())
            secret = (await scope.ServiceProvider.GetRequiredService<Latch.Core.Access.ApiTokens>()
                .IssueAsync("short-lived", Latch.Core.Access.AdminRole.Administrator, lifetime: TimeSpan.FromMilliseconds(1))).Secret;
        await Task.Delay(20);

        var response = await Client(secret).GetAsync("/v1.0/users");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Access token validation failure.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RevokingAnUnknownToken_Is404() =>
        Assert.Equal(HttpStatusCode.NotFound, (await Client(AdminToken).DeleteAsync($"/v1.0/latch/apiTokens/{Guid.NewGuid()}")).StatusCode);

    [Fact]
    public async Task OpenApiDocument_DescribesTheRoutes_AndTheReferencePageIsServed()
    {
        var client = _app.CreateClient();
        var document = await client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/v1.0/deviceManagement/managedDevices/{id}/remoteLock", document);
        Assert.Contains("/v1.0/deviceManagement/managedDevices/executeAction", document);
        var page = await client.GetAsync("/api/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("swagger", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
