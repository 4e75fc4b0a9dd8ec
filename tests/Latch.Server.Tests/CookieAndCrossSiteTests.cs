using System.Net;
using System.Net.Http.Json;
using System.Text;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests;

/// <summary>The sign-in cookie ends at sign-out (a copy of it too), and a page of another site cannot write with it.</summary>
public sealed class CookieAndCrossSiteTests : IAsyncLifetime
{
    private const string AdminPassword = "correct-horse-battery-staple";
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapAdminPassword"] = AdminPassword, ["Demo"] = "true" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<string> SignedInCookieAsync()
    {
        var signIn = await _app.CreateClient().PostAsJsonAsync("/signin", new { userName = "admin", password = AdminPassword });
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        return signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    private static HttpRequestMessage WithCookie(HttpMethod method, string url, string cookie, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add("Cookie", cookie);
        return request;
    }

    private Task<int> TokensAsync() => DbAsync(db => db.ApiTokens.CountAsync());

    [Fact]
    public async Task SigningOut_EndsTheCookie_AndACopyOfIt()
    {
        var cookie = await SignedInCookieAsync();
        var client = _app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithCookie(HttpMethod.Get, "/v1.0/deviceManagement/managedDevices", cookie))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(WithCookie(HttpMethod.Post, "/signout", cookie))).StatusCode);

        // The copy kept from before the sign-out no longer works anywhere.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(WithCookie(HttpMethod.Get, "/v1.0/deviceManagement/managedDevices", cookie))).StatusCode);
        // A new sign-in works again.
        var again = await SignedInCookieAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(WithCookie(HttpMethod.Get, "/v1.0/deviceManagement/managedDevices", again))).StatusCode);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task AWriteFromAnotherSite_WithTheCookie_IsRefused(string header, string value)
    {
        var cookie = await SignedInCookieAsync();
        var before = await TokensAsync();
        var request = WithCookie(HttpMethod.Post, "/v1.0/latch/apiTokens", cookie, JsonContent.Create(new { name = "csrf", role = "Administrator" }));
        request.Headers.Add(header, value);

        var response = await _app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("another site", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await TokensAsync());
    }

    [Fact]
    public async Task AJsonBodySentAsPlainText_IsRefused_AndCreatesNothing()
    {
        // What an HTML form of another site can send without a preflight.
        var cookie = await SignedInCookieAsync();
        var before = await TokensAsync();
        var response = await _app.CreateClient().SendAsync(WithCookie(HttpMethod.Post, "/v1.0/latch/apiTokens", cookie,
            new StringContent("""{"name":"csrf","role":"Administrator"}""", Encoding.UTF8, "text/plain")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("application/json", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await TokensAsync());
    }

    [Fact]
    public async Task AWriteFromTheConsolesOwnPages_WithTheCookie_Works()
    {
        var cookie = await SignedInCookieAsync();
        var request = WithCookie(HttpMethod.Post, "/v1.0/latch/apiTokens", cookie, JsonContent.Create(new { name = "same-origin", role = "ReadOnly" }));
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        request.Headers.Add("Origin", "http://localhost");

        Assert.Equal(HttpStatusCode.Created, (await _app.CreateClient().SendAsync(request)).StatusCode);
    }

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }
}
