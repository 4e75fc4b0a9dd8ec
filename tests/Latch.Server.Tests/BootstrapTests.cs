using System.Net;
using System.Net.Http.Headers;
using Latch.Core.Access;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latch.Server.Tests;

public sealed class BootstrapTests
{
    [Fact]
    public async Task WithoutABootstrapToken_FirstStartCreatesOneAdministratorToken_OnlyOnce()
    {
        await using var first = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "false" });
        first.CreateClient();
        await using var second = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "false" }, dataDirectory: first.DataDirectory);
        second.CreateClient();

        await using var scope = second.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Latch.Core.Data.LatchDbContext>();
        var token = Assert.Single(db.ApiTokens.ToList());
        Assert.Equal(AdminRole.Administrator, token.Role);
    }

    [Fact]
    public async Task BootstrapToken_WorksAsAnAdministrator()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = "bootstrap-token-for-tests-123" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "bootstrap-token-for-tests-123");
        var response = await client.PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode); // authenticated and authorised: the device is what is missing
    }

    [Fact]
    public async Task ShortBootstrapToken_IsRefusedAtStart()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = "short" });
        var error = Assert.Throws<OptionsValidationException>(() => app.CreateClient());
        Assert.Contains("at least 16 characters", error.Message);
    }
}
