using System.Net;
using System.Net.Http.Json;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Server.Auth;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests;

/// <summary>
/// Sign-in under guessing: growing delays per user name and per client address (the same for names that exist and
/// names that do not), an account locked after repeated failures (audited), and an Administrator lifting the lock.
/// The throttle's clock is a fake one, so a test waits for no delay; the account's lock is on the server's own clock.
/// </summary>
public sealed class SignInThrottlingTests : IAsyncLifetime
{
    private const string AdminPassword = "correct-horse-battery-staple";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?>
        {
            ["Auth:BootstrapAdminPassword"] = AdminPassword, ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken, ["Demo"] = "true",
        }, services => services.AddSingleton(new SignInThrottle(_clock)));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private Task<HttpResponseMessage> SignInAsync(string userName, string password) =>
        _app.CreateClient().PostAsJsonAsync("/signin", new { userName, password });

    // One failure more, waiting out the delay it may have to wait first (on the fake clock).
    private async Task FailOnceAsync(string userName)
    {
        var response = await SignInAsync(userName, "not-the-password-at-all");
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            _clock.Advance(response.Headers.RetryAfter!.Delta!.Value);
            response = await SignInAsync(userName, "not-the-password-at-all");
        }
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AfterFiveFailures_TheNextAttemptWaits_EvenWithTheRightPassword_ThenGoesThrough()
    {
        for (var i = 0; i < SignInThrottle.FreeFailures; i++) await FailOnceAsync("admin");

        var held = await SignInAsync("admin", AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), held.Headers.RetryAfter?.Delta);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.NoContent, (await SignInAsync("admin", AdminPassword)).StatusCode);
    }

    [Fact]
    public async Task TheDelayGrows_WithEachFailure()
    {
        var delays = new List<TimeSpan>();
        for (var i = 0; i < SignInThrottle.FreeFailures + 3; i++)
        {
            var response = await SignInAsync("admin", "not-the-password-at-all");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                delays.Add(response.Headers.RetryAfter!.Delta!.Value);
                _clock.Advance(response.Headers.RetryAfter.Delta.Value);
                Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync("admin", "not-the-password-at-all")).StatusCode);
            }
        }
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], delays);
    }

    [Fact]
    public async Task AnUnknownName_IsAnsweredAsAKnownOne()
    {
        for (var i = 0; i < SignInThrottle.FreeFailures; i++)
        {
            var known = await SignInAsync("admin", "not-the-password-at-all");
            var unknown = await SignInAsync("nobody-by-this-name", "not-the-password-at-all");
            Assert.Equal((known.StatusCode, await known.Content.ReadAsStringAsync()), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        }
        var knownHeld = await SignInAsync("admin", "not-the-password-at-all");
        var unknownHeld = await SignInAsync("nobody-by-this-name", "not-the-password-at-all");
        Assert.Equal(HttpStatusCode.TooManyRequests, knownHeld.StatusCode);
        Assert.Equal((knownHeld.StatusCode, await knownHeld.Content.ReadAsStringAsync(), knownHeld.Headers.RetryAfter?.Delta),
            (unknownHeld.StatusCode, await unknownHeld.Content.ReadAsStringAsync(), unknownHeld.Headers.RetryAfter?.Delta));
    }

    [Fact]
    public async Task TenFailures_LockTheAccount_Audited_UntilAnAdministratorUnlocksIt()
    {
        for (var i = 0; i < SignInThrottle.LockAfter; i++) await FailOnceAsync("admin");
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            var account = await db.AdminAccounts.AsNoTracking().SingleAsync(a => a.UserName == "admin");
            Assert.True(account.LockedUntil > DateTimeOffset.UtcNow.AddMinutes(14));
            Assert.Single(await db.AuditEvents.Where(e => e.Kind == AuditKinds.AccountLocked).ToListAsync());
        }

        // The throttle's own hold has passed; the account's lock has not: the right password is refused like a wrong one.
        _clock.Advance(SignInThrottle.LockFor + TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync("admin", AdminPassword)).StatusCode);

        var accountId = await DbAsync(db => db.AdminAccounts.Where(a => a.UserName == "admin").Select(a => a.Id).SingleAsync());
        var unlock = await _app.ClientWith(LatchAppFactory.AdminToken).PostAsync($"/v1.0/latch/accounts/{accountId}/unlock", null);
        Assert.Equal(HttpStatusCode.NoContent, unlock.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SignInAsync("admin", AdminPassword)).StatusCode);
        Assert.Equal(1, await DbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == AuditKinds.AccountUnlocked)));
        Assert.Equal(HttpStatusCode.NotFound,
            (await _app.ClientWith(LatchAppFactory.AdminToken).PostAsync($"/v1.0/latch/accounts/{Guid.NewGuid()}/unlock", null)).StatusCode);
    }

    [Fact]
    public async Task ManyNamesFromOneAddress_AreHeldToo()
    {
        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync($"guess-{i}", "not-the-password-at-all")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SignInAsync("guess-new", "not-the-password-at-all")).StatusCode);
    }

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }
}
