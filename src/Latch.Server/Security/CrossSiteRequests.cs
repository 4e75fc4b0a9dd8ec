using Latch.Server.Graph;

namespace Latch.Server.Security;

/// <summary>
/// A request that changes something, carries the sign-in cookie and comes from a page of another site is refused (403)
/// before it reaches an endpoint: the browser says where it comes from (<c>Sec-Fetch-Site</c>, <c>Origin</c>), and only
/// the console's own pages (or a typed address, <c>none</c>) may use the cookie to write. SameSite=Strict already keeps the
/// cookie off most such requests; this does not rest on it. Bearer-token clients send no cookie and are not concerned.
/// </summary>
public static class CrossSiteRequests
{
    public const string CookieName = "Latch.Session";

    public static IApplicationBuilder UseCrossSiteRefusal(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (IsCrossSiteWrite(http.Request))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsJsonAsync(GraphErrorBody.Of(GraphErrorCodes.AuthorizationRequestDenied,
                "A request from another site may not use the Latch sign-in cookie to change anything."), http.RequestAborted);
            return;
        }
        await next(http);
    });

    private static bool IsCrossSiteWrite(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
            return false;
        if (request.Headers.Authorization.Count > 0 || !request.Cookies.ContainsKey(CookieName)) return false;
        if (request.Headers["Sec-Fetch-Site"].FirstOrDefault() is { } site)
            return site is not ("same-origin" or "none");
        if (request.Headers.Origin.FirstOrDefault() is { } origin)
            return !Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
        return false; // neither header: not a browser's cross-site request (browsers send Origin on cross-site POSTs)
    }
}
