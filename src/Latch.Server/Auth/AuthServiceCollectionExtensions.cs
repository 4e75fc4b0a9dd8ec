using Latch.Core.Access;
using Microsoft.AspNetCore.Authentication;

namespace Latch.Server.Auth;

public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddLatchAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.BootstrapToken is null || o.BootstrapToken.Length >= 16,
                "Auth:BootstrapToken must be at least 16 characters long.")
            .ValidateOnStart();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Read, p => p.RequireRole(nameof(AdminRole.Administrator), nameof(AdminRole.HelpDeskOperator), nameof(AdminRole.ReadOnly)))
            .AddPolicy(Policies.RemoteActions, p => p.RequireRole(nameof(AdminRole.Administrator), nameof(AdminRole.HelpDeskOperator)))
            .AddPolicy(Policies.Administer, p => p.RequireRole(nameof(AdminRole.Administrator)));
        return services;
    }
}
