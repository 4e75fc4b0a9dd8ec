using System.Text.Json.Serialization;

namespace Latch.Server.Graph;

/// <summary>Microsoft Graph's error shape: <c>{"error":{"code","message"}}</c>, which the Graph SDK turns into an ODataError.</summary>
public sealed record GraphErrorBody([property: JsonPropertyName("error")] GraphError Error)
{
    public static GraphErrorBody Of(string code, string message) => new(new GraphError(code, message));
}

public sealed record GraphError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message)
{
    /// <summary>Graph's <c>innerError</c>: the request id to quote and the time; only on the answers <see cref="GraphErrorPipeline"/> writes.</summary>
    [JsonPropertyName("innerError")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraphInnerError? InnerError { get; init; }
}

public sealed record GraphInnerError(
    [property: JsonPropertyName("request-id")] string RequestId,
    [property: JsonPropertyName("date")] DateTimeOffset Date);

/// <summary>The error codes Latch answers with, spelled as Graph spells them.</summary>
public static class GraphErrorCodes
{
    public const string BadRequest = "BadRequest";
    public const string NotSupported = "notSupported";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string InvalidAuthenticationToken = "InvalidAuthenticationToken";
    public const string AuthorizationRequestDenied = "Authorization_RequestDenied";
    public const string MethodNotAllowed = "MethodNotAllowed";
    public const string RequestEntityTooLarge = "RequestEntityTooLarge";
    public const string UnsupportedMediaType = "UnsupportedMediaType";
    public const string InternalServerError = "InternalServerError";
    public const string TooManyRequests = "TooManyRequests";
}

/// <summary>Reads a JSON request body; any parse failure becomes the same Graph 400 naming what was wrong.</summary>
public static class GraphRequestBody
{
    public static async Task<(T? Body, Microsoft.AspNetCore.Http.HttpResults.BadRequest<GraphErrorBody>? Error)> ReadAsync<T>(HttpContext http)
        where T : class
    {
        // JSON only: a form or text/plain body is what a page of another site can send without asking (CSRF).
        if (!http.Request.HasJsonContentType())
            return (null, TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                $"The request body must be JSON (Content-Type: application/json), not '{http.Request.ContentType}'.")));
        try
        {
            var body = await System.Text.Json.JsonSerializer.DeserializeAsync<T>(http.Request.Body, System.Text.Json.JsonSerializerOptions.Web, http.RequestAborted);
            return body is null
                ? (null, TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "The request needs a JSON body.")))
                : (body, null);
        }
        catch (System.Text.Json.JsonException error)
        {
            return (null, TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"The request body is not valid JSON: {error.Message}")));
        }
    }
}
