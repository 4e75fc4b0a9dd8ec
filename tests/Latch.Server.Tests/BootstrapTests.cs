using System.Net;
using System.Net.Http.Headers;
using Latch.Core.Access;
using Microsoft.EntityFrameworkCore;
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

    [Theory]
    [InlineData("short")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // long, but one character
    [InlineData("abcabcabcabcabcabcabcabcabc")] // long enough, but three characters repeated
    public async Task AWeakBootstrapToken_IsRefusedAtStart(string weak)
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = weak });
        var error = Assert.Throws<OptionsValidationException>(() => app.CreateClient());
        Assert.Contains("at least 24 characters", error.Message);
    }

    [Fact]
    public async Task TokensAreStoredAsKeyedHashes_AndOneStoredTheOldWayIsReHashedAtItsFirstUse()
    {
        const string chosen = "bootstrap-token-for-tests-123";
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = chosen });
        var client = app.CreateClient();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Latch.Core.Data.LatchDbContext>();

        // Not the token's plain SHA-256, which anyone with the database could test guesses against.
        var stored = Assert.Single(await db.ApiTokens.AsNoTracking().ToListAsync());
        Assert.NotEqual(TokenHasher.LegacyHash(chosen), stored.TokenHash);
        Assert.DoesNotContain(chosen, stored.TokenHash);
        var key = await db.StoredSecrets.AsNoTracking().SingleAsync(s => s.Name == TokenHasher.SecretName);
        Assert.DoesNotContain(stored.TokenHash, key.ProtectedValue);

        // A token an older Latch stored (plain SHA-256) still works, once, and is stored anew.
        const string old = "an-older-latch-made-this-token-0451";
        db.ApiTokens.Add(new ApiToken { Name = "old script", Role = AdminRole.ReadOnly, TokenHash = TokenHasher.LegacyHash(old) });
        await db.SaveChangesAsync();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", old);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1.0/users")).StatusCode);
        var upgraded = await db.ApiTokens.AsNoTracking().SingleAsync(t => t.Name == "old script");
        Assert.NotEqual(TokenHasher.LegacyHash(old), upgraded.TokenHash);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1.0/users")).StatusCode);
    }
}
