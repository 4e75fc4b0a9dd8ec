using System.Net;
using System.Net.Http.Json;
using Latch.Core.Access;
using Latch.Core.Data;
using Latch.Server.Auth;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests;

/// <summary>Console sign-in with local accounts: a cookie the admin API accepts, with the account's role.</summary>
public sealed class SignInTests : IAsyncLifetime
{
    private const string AdminPassword = "correct-horse-battery-staple";
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapAdminPassword"] = AdminPassword, ["Demo"] = "true" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    // A client that keeps cookies, like a browser.
    private HttpClient Browser() => _app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });

    [Fact]
    public async Task SignIn_WithAForm_GivesACookieTheApiAccepts_UntilSignOut()
    {
        var browser = Browser();
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["userName"] = "Admin", ["password"] = AdminPassword }));
        Assert.Equal(HttpStatusCode.NoContent, signIn.StatusCode);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/v1.0/deviceManagement/managedDevices")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsync("/signout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1.0/deviceManagement/managedDevices")).StatusCode);
    }

    [Fact]
    public async Task WrongPassword_Is401_Audited_AndNeverEchoesThePassword()
    {
        var response = await Browser().PostAsJsonAsync("/signin", new { userName = "admin", password = "not-the-password" });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("not-the-password", await response.Content.ReadAsStringAsync());

        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var denied = await db.AuditEvents.SingleAsync(e => e.Kind == "request.denied" && e.Detail.Contains("/signin"));
        Assert.Equal("admin", denied.Actor);
        Assert.DoesNotContain("not-the-password", denied.Detail);
        var stored = await db.AdminAccounts.SingleAsync(a => a.UserName == "admin");
        Assert.DoesNotContain(AdminPassword, stored.PasswordHash);
    }

    [Fact]
    public async Task ReadOnlyAccount_SeesButCannotLock_DisabledAccountCannotSignIn()
    {
        Guid id;
        await using (var scope = _app.Services.CreateAsyncScope())
            id = (await scope.ServiceProvider.GetRequiredService<AdminAccounts>().CreateAsync("auditor", "auditor-password-1", AdminRole.ReadOnly)).Id;

        var browser = Browser();
        await browser.PostAsJsonAsync("/signin", new { userName = "auditor", password = "auditor-password-1" });
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/v1.0/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", null)).StatusCode);

        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<AdminAccounts>().DisableAsync(id);
        // The open session ends at once, and a new sign-in is refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1.0/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Browser().PostAsJsonAsync("/signin", new { userName = "auditor", password = "auditor-password-1" })).StatusCode);
    }

    [Fact]
    public async Task ShortPassword_IsRefused() =>
        Assert.Equal(HttpStatusCode.BadRequest, (await AdminClientAsync()).StatusCode);

    private async Task<HttpResponseMessage> AdminClientAsync()
    {
        var browser = Browser();
        await browser.PostAsJsonAsync("/signin", new { userName = "admin", password = AdminPassword });
        return await browser.PostAsJsonAsync("/v1.0/latch/accounts", new { userName = "short", password = "short", role = "ReadOnly" });
    }
}
