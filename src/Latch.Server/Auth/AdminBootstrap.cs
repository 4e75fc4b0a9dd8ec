using Latch.Core.Access;
using Microsoft.Extensions.Options;

namespace Latch.Server.Auth;

/// <summary>
/// Makes sure an administrator can get in on first start: the configured bootstrap token, or else (when no token
/// exists at all) a generated one written once to the console — never to the log, which may be shipped elsewhere.
/// </summary>
public static class AdminBootstrap
{
    public static async Task EnsureAdministratorAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        var bootstrap = scope.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.BootstrapToken;

        if (bootstrap is not null)
        {
            if (!await tokens.ExistsAsync(bootstrap, cancellationToken))
                await tokens.IssueAsync("bootstrap", AdminRole.Administrator, bootstrap, cancellationToken: cancellationToken);
            return;
        }
        if (await tokens.AnyAsync(cancellationToken)) return;

        var (_, secret) = await tokens.IssueAsync("first-administrator", AdminRole.Administrator, cancellationToken: cancellationToken);
        Console.WriteLine();
        Console.WriteLine("  An Administrator API token was created. It is shown only this once; keep it safe:");
        Console.WriteLine($"    {secret}");
        Console.WriteLine("  Use it as 'Authorization: Bearer <token>'. Set LATCH_Auth__BootstrapToken to choose your own instead.");
        Console.WriteLine();
    }
}
