using System.Net;
using System.Text.Json;
using Latch.Core.Groups;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

/// <summary>
/// Every error of the API and of sign-in is Graph's JSON with a request id, whatever went wrong, in the environment
/// `dotnet run` starts (Development, where ASP.NET Core would show its exception page): never a stack trace or a path.
/// Read as raw JSON, not through our own types.
/// </summary>
public sealed class ErrorShapeTests : IAsyncLifetime
{
    private const string AdminPassword = "correct-horse-battery-staple";
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(
            new Dictionary<string, string?>
            {
                ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken, ["Auth:BootstrapAdminPassword"] = AdminPassword, ["Demo"] = "true",
                ["environment"] = "Development",
            },
            // A service an endpoint needs that cannot be made: an unhandled exception with a path in its message.
            services => services.AddScoped<GroupDirectory>(_ => throw new InvalidOperationException("secret detail at /home/latch/src/Groups.cs")));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static async Task<JsonElement> GraphErrorOf(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var requestId = error.GetProperty("innerError").GetProperty("request-id").GetString();
        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("request-id")));
        return error;
    }

    [Fact]
    public async Task AnUnknownRoute_Is404_GraphShaped() =>
        await GraphErrorOf(await _app.ClientWith(LatchAppFactory.AdminToken).GetAsync("/v1.0/deviceManagement/noSuchThing"),
            HttpStatusCode.NotFound, "ResourceNotFound");

    [Fact]
    public async Task AWrongMethod_Is405_GraphShaped() =>
        await GraphErrorOf(await _app.ClientWith(LatchAppFactory.AdminToken).DeleteAsync("/v1.0/deviceManagement/managedDevices"),
            HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");

    [Fact]
    public async Task AnUnhandledException_Is500_GraphShaped_WithoutItsDetail()
    {
        var response = await _app.ClientWith(LatchAppFactory.AdminToken).GetAsync("/v1.0/groups");
        var error = await GraphErrorOf(response, HttpStatusCode.InternalServerError, "InternalServerError");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret detail", text);
        Assert.DoesNotContain("/home/latch", text);
        Assert.Contains(error.GetProperty("innerError").GetProperty("request-id").GetString()!, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ASignInFormWithTooManyFields_Is400_GraphShaped()
    {
        var fields = Enumerable.Range(0, 1_100).Select(i => new KeyValuePair<string, string>($"f{i}", "x"));
        var response = await _app.CreateClient().PostAsync("/signin", new FormUrlEncodedContent(fields));
        var text = (await GraphErrorOf(response, HttpStatusCode.BadRequest, "BadRequest")).GetProperty("message").GetString();
        Assert.DoesNotContain(" at ", text);
    }

    [Fact]
    public async Task AReturnUrlThatBrowsersWouldReadAsAnotherSite_GoesHome_NotA500()
    {
        var browser = _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = "admin", ["password"] = AdminPassword, ["returnUrl"] = "/\t/evil.example",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }
}
