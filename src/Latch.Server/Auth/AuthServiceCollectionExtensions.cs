using Latch.Core.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Latch.Server.Console;
using Microsoft.AspNetCore.Identity;

namespace Latch.Server.Auth;

public static class AuthServiceCollectionExtensions
{
    private const string BearerOrCookie = "Latch";

    /// <summary>
    /// Bearer tokens for scripts and a sign-in cookie for the console, behind one scheme that picks by the request:
    /// an Authorization header means a token. Refusals always answer (and are audited) in Graph's error shape.
    /// </summary>
    public static IServiceCollection AddLatchAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.BootstrapToken is null || TokenHasher.IsStrong(o.BootstrapToken),
                $"Auth:BootstrapToken must have at least {TokenHasher.MinimumLength} characters and not repeat a few of them (a random value: openssl rand -base64 32).")
            .Validate(o => o.BootstrapAdminPassword is null || o.BootstrapAdminPassword.Length >= AdminAccounts.MinimumPasswordLength,
                $"Auth:BootstrapAdminPassword must be at least {AdminAccounts.MinimumPasswordLength} characters long.")
            .ValidateOnStart();

        services.AddAuthentication(BearerOrCookie)
            .AddPolicyScheme(BearerOrCookie, "Bearer token or sign-in cookie", scheme =>
            {
                scheme.ForwardDefaultSelector = http => http.Request.Headers.Authorization.Count > 0
                    ? BearerTokenHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme;
                scheme.ForwardChallenge = BearerTokenHandler.SchemeName;
                scheme.ForwardForbid = BearerTokenHandler.SchemeName;
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = Security.CrossSiteRequests.CookieName;
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Strict;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                // The admin API challenges through the policy scheme above, which forwards to the bearer handler: a JSON
                // 401/403 in Graph's shape. Only the console's pages name this scheme (ConsoleAuth), so only a browser
                // on a console page is sent to the sign-in page.
                cookie.LoginPath = ConsoleAuth.SignInPath;
                cookie.AccessDeniedPath = ConsoleAuth.SignInPath;
                cookie.ReturnUrlParameter = "returnUrl";
                // A session ends as soon as its account is disabled, changes role or signs out, not when the cookie expires.
                cookie.Events.OnValidatePrincipal = async context =>
                {
                    var id = context.Principal?.FindFirst(AdminAccounts.AccountClaim)?.Value;
                    var role = context.Principal?.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value;
                    var accounts = context.HttpContext.RequestServices.GetRequiredService<AdminAccounts>();
                    if (!Guid.TryParse(id, out var accountId)
                        || await accounts.FindEnabledAsync(accountId, context.HttpContext.RequestAborted) is not { } account
                        || account.Role.ToString() != role
                        || (account.SessionStamp ?? "") != context.Principal?.FindFirst(AdminAccounts.StampClaim)?.Value)
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                    }
                };
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireRole(nameof(AdminRole.Administrator), nameof(AdminRole.HelpDeskOperator), nameof(AdminRole.ReadOnly)))
            .AddPolicy(Policies.RemoteActions, p => p.RequireRole(nameof(AdminRole.Administrator), nameof(AdminRole.HelpDeskOperator)))
            .AddPolicy(Policies.Administer, p => p.RequireRole(nameof(AdminRole.Administrator)));

        services.AddSingleton<IPasswordHasher<AdminAccount>, PasswordHasher<AdminAccount>>();
        services.AddScoped<AdminAccounts>();
        services.AddSingleton<SignInThrottle>();
        return services;
    }
}
