using System.Net;
using System.Security.Claims;
using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Server.Auth;
using Latch.Server.Console;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Console;

/// <summary>
/// The console's side of the authorization matrix: every page needs the sign-in cookie and sends an anonymous browser
/// to the sign-in page; what a role may not do is hidden and, when forged anyway, refused on the server.
/// </summary>
public sealed class ConsoleAuthorizationTests : IAsyncLifetime
{
    private const string Password = "a-long-console-password";
    private static readonly string AnyId = Guid.NewGuid().ToString();

    /// <summary>Every console page; a page the app serves that is not here fails <see cref="EveryConsolePage_IsInThisList"/>.</summary>
    private static readonly (string Route, string Url)[] Pages =
    [
        ("/", "/"),
        ("/groups/{GroupId:guid}", $"/groups/{BuiltInGroups.AllMobileDevices.Id}"),
        ("/users", "/users"),
        ("/users/{UserId:guid}", $"/users/{AnyId}"),
        ("/devices/{DeviceId:guid}", $"/devices/{AnyId}"),
        ("/actions/{RequestId:guid}", $"/actions/{AnyId}"),
        ("/audit", "/audit?person=admin"),
    ];

    /// <summary>
    /// Blazor's own endpoints, open by design: the interactive circuit (<c>/_blazor</c>) only runs components whose
    /// data-protected descriptors an authorized page handed out, and every change it makes goes through
    /// <see cref="ConsoleOperations"/>, which checks the account's role again. Static files are public.
    /// </summary>
    public static bool IsConsoleRoute(string pattern) =>
        pattern.TrimStart('/').StartsWith("_blazor", StringComparison.Ordinal)
        || pattern.TrimStart('/').StartsWith("_framework", StringComparison.Ordinal)
        || pattern == "{**path:file}";

    public static bool IsConsoleEndpoint(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<ComponentTypeMetadata>() is not null
        || endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor>() is not null
        || IsConsoleRoute(endpoint.RoutePattern.RawText ?? "");

    private LatchAppFactory _app = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await using var scope = _app.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AdminAccounts>();
        await accounts.CreateAsync("reader", Password, AdminRole.ReadOnly);
        await accounts.CreateAsync("helpdesk", Password, AdminRole.HelpDeskOperator);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Browser() => _app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private async Task<HttpClient> SignedInAsync(string userName)
    {
        var browser = Browser();
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = userName, ["password"] = Password, [ConsoleAuth.ReturnUrlField] = "/audit",
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/audit", response.Headers.Location?.OriginalString);
        return browser;
    }

    [Fact]
    public void EveryConsolePage_IsInThisList()
    {
        var pages = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
            .Select(e => e.RoutePattern.RawText!)
            .Where(route => route != ConsoleAuth.SignInPath)
            .ToHashSet();
        Assert.Equal(Pages.Select(p => p.Route).Order(), pages.Order());
    }

    [Fact]
    public async Task EveryConsolePage_SendsAnAnonymousBrowserToTheSignInPage()
    {
        foreach (var (_, url) in Pages)
        {
            var response = await Browser().GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{url}: {(int)response.StatusCode}");
            var location = response.Headers.Location!.ToString();
            Assert.Contains($"{ConsoleAuth.SignInPath}?returnUrl=", location, StringComparison.Ordinal);
            Assert.Contains(Uri.EscapeDataString(url), location, StringComparison.Ordinal);
        }
        var signIn = await Browser().GetAsync(ConsoleAuth.SignInPath);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Contains("data-testid=\"signin-form\"", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABearerToken_IsForTheApi_NotTheConsole()
    {
        var client = Browser();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LatchAppFactory.AdminToken);
        var response = await client.GetAsync("/audit");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Fact]
    public async Task TheApi_StillAnswersABrowserWithoutCredentials_InGraphsJsonShape()
    {
        var response = await Browser().GetAsync("/v1.0/deviceManagement/managedDevices");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryConsolePage_OpensForAReadOnlyAccount()
    {
        var browser = await SignedInAsync("reader");
        foreach (var (_, url) in Pages)
        {
            var response = await browser.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode}");
            Assert.Contains("data-testid=\"signed-in-account\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AWrongPassword_OnTheSignInPage_ComesBackWithAMessage_AndSignOutReturnsToIt()
    {
        var response = await Browser().PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = "reader", ["password"] = "not-the-password", [ConsoleAuth.ReturnUrlField] = "//evil.example/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login?error=wrong&returnUrl=%2F", response.Headers.Location?.OriginalString); // never off-site

        var browser = await SignedInAsync("reader");
        var signOut = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { [ConsoleAuth.ReturnUrlField] = "/login" }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task AReadOnlyAccount_ForgingARemoteTask_IsRefusedAndAudited_AndNothingIsSent()
    {
        var devices = await DeviceIdsAsync();
        await using var scope = _app.Services.CreateAsyncScope();
        var operations = scope.ServiceProvider.GetRequiredService<ConsoleOperations>();
        var reader = Principal("reader", AdminRole.ReadOnly);
        // A preview made by someone allowed, replayed by the Read Only account: the server checks the role again.
        var preview = await operations.PreviewAsync(Principal("helpdesk", AdminRole.HelpDeskOperator), RemoteAction.RemoteLock, new DeviceSelection(devices));

        Assert.False(await operations.MayRunRemoteTasksAsync(reader));
        await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => operations.RequestAsync(reader, RemoteAction.RemoteLock, preview, false));
        await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => operations.PreviewAsync(reader, RemoteAction.RemoteLock, new DeviceSelection(devices)));
        await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => operations.MarkLostAsync(reader, devices[0], true));
        await Assert.ThrowsAsync<ConsoleAccessDeniedException>(() => operations.RevealPasscodeAsync(reader, Guid.NewGuid()));

        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        Assert.Equal(0, await db.ActionRequests.CountAsync());
        Assert.Equal(4, await db.AuditEvents.CountAsync(e => e.Kind == AuditKinds.RequestDenied && e.Actor == "reader" && e.Detail.StartsWith("403 console")));
    }

    [Fact]
    public async Task AHelpDeskOperator_SendsOneBulkRequest_AsThemselves()
    {
        var devices = await DeviceIdsAsync();
        await using var scope = _app.Services.CreateAsyncScope();
        var operations = scope.ServiceProvider.GetRequiredService<ConsoleOperations>();
        var helpdesk = Principal("helpdesk", AdminRole.HelpDeskOperator);
        var preview = await operations.PreviewAsync(helpdesk, RemoteAction.RemoteLock,
            new DeviceSelection([], ListingScope.Group(BuiltInGroups.AllDevices.Id)));

        var outcome = await operations.RequestAsync(helpdesk, RemoteAction.RemoteLock, preview, false);

        Assert.Equal(devices.Count, preview.Selected);
        Assert.Equal(preview.WillRun, outcome.Queued.Count);
        Assert.Equal(preview.SkippedCount, outcome.NotSupported.Count);
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var request = await db.ActionRequests.SingleAsync();
        Assert.Equal(("helpdesk", devices.Count), (request.RequestedBy, request.DeviceCount));
    }

    private async Task<List<Guid>> DeviceIdsAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices.Select(d => d.Id).ToListAsync();
    }

    private static ClaimsPrincipal Principal(string name, AdminRole role) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role.ToString())], CookieAuthenticationDefaults.AuthenticationScheme));
}
