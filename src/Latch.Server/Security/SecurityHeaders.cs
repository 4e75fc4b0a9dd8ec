namespace Latch.Server.Security;

/// <summary>
/// Headers every answer to a person's client carries: no content-type sniffing (a JSON error must never run as a
/// page), and no referrer sent on from the console's pages (their URLs name devices and requests). The device
/// endpoints are short-circuited before this and answer devices, which read neither.
/// </summary>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        return next(http);
    });
}
