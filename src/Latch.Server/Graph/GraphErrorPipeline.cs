namespace Latch.Server.Graph;

/// <summary>
/// Every error a person's client gets from the API (<c>/v1.0</c>) and from sign-in is Graph-shaped JSON with a request id
/// to quote, in every environment: an unknown route (404), a wrong method (405), a body over the limit (413), a content
/// type the endpoint does not take (415), a malformed form, and an unhandled exception (500, logged with the request id;
/// the caller never sees a stack trace or a path). Answers that already have a body (the endpoints' own errors, 401/403)
/// pass unchanged.
/// </summary>
public static class GraphErrorPipeline
{
    public const string RequestIdHeader = "request-id";

    public static IApplicationBuilder UseGraphErrors(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (!IsForPeopleApi(http.Request.Path))
        {
            await next(http);
            return;
        }
        http.Response.Headers[RequestIdHeader] = http.TraceIdentifier;
        try
        {
            await next(http);
        }
        catch (Exception exception) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            var (status, code, message) = exception switch
            {
                BadHttpRequestException bad => (bad.StatusCode, CodeFor(bad.StatusCode), bad.Message),
                InvalidDataException form => (StatusCodes.Status400BadRequest, GraphErrorCodes.BadRequest, $"The request's form is not valid: {form.Message}"),
                _ => (StatusCodes.Status500InternalServerError, GraphErrorCodes.InternalServerError,
                    $"The server could not complete the request; quote request id {http.TraceIdentifier} when reporting it."),
            };
            if (status >= StatusCodes.Status500InternalServerError)
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphErrorPipeline))
                    .LogError(exception, "Request {RequestId} {Method} {Path} failed", http.TraceIdentifier, http.Request.Method, http.Request.Path.Value);
            http.Response.Clear();
            http.Response.Headers[RequestIdHeader] = http.TraceIdentifier;
            await WriteAsync(http, status, code, message);
            return;
        }

        if (!http.Response.HasStarted && http.Response.StatusCode >= StatusCodes.Status400BadRequest && string.IsNullOrEmpty(http.Response.ContentType))
            await WriteAsync(http, http.Response.StatusCode, CodeFor(http.Response.StatusCode), MessageFor(http));
    });

    private static bool IsForPeopleApi(PathString path) =>
        path.StartsWithSegments("/v1.0") || path.StartsWithSegments("/signin") || path.StartsWithSegments("/signout");

    private static Task WriteAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        var body = new GraphErrorBody(new GraphError(code, message)
        {
            InnerError = new GraphInnerError(http.TraceIdentifier, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()),
        });
        return http.Response.WriteAsJsonAsync(body, http.RequestAborted);
    }

    private static string CodeFor(int status) => status switch
    {
        StatusCodes.Status404NotFound => GraphErrorCodes.ResourceNotFound,
        StatusCodes.Status405MethodNotAllowed => GraphErrorCodes.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => GraphErrorCodes.RequestEntityTooLarge,
        StatusCodes.Status415UnsupportedMediaType => GraphErrorCodes.UnsupportedMediaType,
        >= 500 => GraphErrorCodes.InternalServerError,
        _ => GraphErrorCodes.BadRequest,
    };

    private static string MessageFor(HttpContext http) => http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"There is no resource at '{http.Request.Path}'.",
        StatusCodes.Status405MethodNotAllowed => $"'{http.Request.Path}' does not take {http.Request.Method}.",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint takes.",
        StatusCodes.Status415UnsupportedMediaType => $"'{http.Request.Path}' does not take '{http.Request.ContentType}'; send application/json.",
        _ => $"The request failed ({http.Response.StatusCode}).",
    };
}
