using Latch.Core.Access;
using Microsoft.Extensions.Options;

namespace Latch.Server.Auth;

/// <summary>
/// Makes sure an administrator can get in on first start: the configured bootstrap token and console password, or
/// else (when no credential exists at all) a generated token and password for 'admin', written once to the console —
/// never to the log, which may be shipped elsewhere.
/// </summary>
public static class AdminBootstrap
{
    public static async Task EnsureAdministratorAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        var accounts = scope.ServiceProvider.GetRequiredService<AdminAccounts>();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value;

        if (options.BootstrapToken is { } token && !await tokens.ExistsAsync(token, cancellationToken))
            await tokens.IssueAsync("bootstrap", AdminRole.Administrator, token, cancellationToken: cancellationToken);
        if (options.BootstrapAdminPassword is { } password && !(await accounts.ListAsync(cancellationToken)).Any(a => a.UserName == "admin"))
            await accounts.CreateAsync("admin", password, AdminRole.Administrator, cancellationToken);
        if (options.BootstrapToken is not null || options.BootstrapAdminPassword is not null) return;
        if (await tokens.AnyAsync(cancellationToken) || await accounts.AnyAsync(cancellationToken)) return;

        var (_, secret) = await tokens.IssueAsync("first-administrator", AdminRole.Administrator, cancellationToken: cancellationToken);
        var generated = AdminAccounts.GeneratePassword();
        await accounts.CreateAsync("admin", generated, AdminRole.Administrator, cancellationToken);
        System.Console.WriteLine();
        System.Console.WriteLine("  First start: an Administrator was created. This is shown only once; keep it safe.");
        System.Console.WriteLine($"    API token (Authorization: Bearer ...): {secret}");
        System.Console.WriteLine($"    Console sign-in: user 'admin', password {generated}");
        System.Console.WriteLine("  Set LATCH_Auth__BootstrapToken / LATCH_Auth__BootstrapAdminPassword to choose your own instead.");
        System.Console.WriteLine();
    }
}
