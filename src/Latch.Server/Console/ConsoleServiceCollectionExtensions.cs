using Microsoft.FluentUI.AspNetCore.Components;

namespace Latch.Server.Console;

/// <summary>
/// The admin console: Razor components in this process (static server rendering, interactive server components where
/// a page must react), calling Core in process. Pages need the sign-in cookie (<see cref="ConsoleAuth"/>).
/// </summary>
public static class ConsoleServiceCollectionExtensions
{
    public static IServiceCollection AddLatchConsole(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddFluentUIComponents();
        services.AddScoped<DeviceListing>();
        services.AddScoped<ConsoleOperations>();
        return services;
    }

    public static void MapLatchConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    }
}
