using System.Text.Json.Serialization;

namespace Latch.Server.Graph;

/// <summary>Microsoft Graph's error shape: <c>{"error":{"code","message"}}</c>, which the Graph SDK turns into an ODataError.</summary>
public sealed record GraphErrorBody([property: JsonPropertyName("error")] GraphError Error)
{
    public static GraphErrorBody Of(string code, string message) => new(new GraphError(code, message));
}

public sealed record GraphError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The error codes Latch answers with, spelled as Graph spells them.</summary>
public static class GraphErrorCodes
{
    public const string BadRequest = "BadRequest";
    public const string NotSupported = "notSupported";
    public const string ResourceNotFound = "ResourceNotFound";
    public const string InvalidAuthenticationToken = "InvalidAuthenticationToken";
    public const string AuthorizationRequestDenied = "Authorization_RequestDenied";
}
