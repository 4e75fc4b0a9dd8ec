using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Latch.Server.Console;

/// <summary>
/// How the console's pages are guarded: by the sign-in cookie only (a bearer token is for the API), and an anonymous
/// browser is redirected to <see cref="SignInPath"/> rather than answered with the API's JSON 401.
/// </summary>
public static class ConsoleAuth
{
    public const string SignInPath = "/login";

    /// <summary>The form field that tells <c>POST /signin</c> and <c>POST /signout</c> a browser is asking (redirect, not 204).</summary>
    public const string ReturnUrlField = "returnUrl";

    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>Only a path on this site (never <c>//host</c> or <c>/\host</c>), else the console's home.</summary>
    // Browsers drop tabs and newlines from a URL and read a backslash as "/": "/<tab>/evil.example" would leave the site.
    public static string LocalOrHome(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')
        && (url.Length == 1 || url[1] != '/') ? url : "/";

    public static string SignInPage(string returnUrl, string error) =>
        $"{SignInPath}?error={Uri.EscapeDataString(error)}&returnUrl={Uri.EscapeDataString(returnUrl)}";
}

/// <summary>Any signed-in console role may see the console; what it may do is checked again per action (<see cref="ConsoleOperations"/>).</summary>
public sealed class ConsoleReadAttribute : AuthorizeAttribute
{
    public ConsoleReadAttribute()
    {
        Policy = Auth.Policies.Read;
        AuthenticationSchemes = ConsoleAuth.Scheme;
    }
}
