using System.Text.Json.Serialization;
using Latch.Core.Access;
using Latch.Server.Graph;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latch.Server.Auth;

/// <summary>
/// <c>/v1.0/latch/apiTokens</c>: Administrators issue, list and revoke admin API tokens. Latch's own extension
/// (Graph has no such resource); a token's value is shown once, in the response that creates it.
/// </summary>
public static class ApiTokensApi
{
    public static RouteGroupBuilder MapApiTokens(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1.0/latch/apiTokens").RequireAuthorization(Policies.Administer);
        api.MapGet("/", async (ApiTokens tokens, CancellationToken cancellationToken) =>
            TypedResults.Ok(new { value = (await tokens.ListAsync(cancellationToken)).Select(ApiTokenResource.From) }));
        api.MapPost("/", IssueAsync);
        api.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound<GraphErrorBody>>> (Guid id, ApiTokens tokens, CancellationToken cancellationToken) =>
            await tokens.RevokeAsync(id, cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no API token with id '{id}'.")));
        return api;
    }

    private static async Task<Results<Created<ApiTokenResource>, BadRequest<GraphErrorBody>>> IssueAsync(HttpContext http, ApiTokens tokens)
    {
        var (body, invalid) = await GraphRequestBody.ReadAsync<IssueTokenRequest>(http);
        if (invalid is not null) return invalid;
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Length > 200)
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "A token needs a name of 1 to 200 characters (who or what uses it)."));
        if (!Enum.TryParse<AdminRole>(body.Role, ignoreCase: false, out var role) || !Enum.IsDefined(role))
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                $"role '{body.Role}' is not a role; use {string.Join(", ", Enum.GetNames<AdminRole>())}."));
        if (body.ExpiresInDays is <= 0 or > 3650)
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "expiresInDays must be between 1 and 3650."));

        var (token, secret) = await tokens.IssueAsync(body.Name.Trim(), role,
            lifetime: body.ExpiresInDays is { } days ? TimeSpan.FromDays(days) : null, cancellationToken: http.RequestAborted);
        return TypedResults.Created($"/v1.0/latch/apiTokens/{token.Id}", ApiTokenResource.From(token) with { Token = secret });
    }
}

public sealed record IssueTokenRequest(string? Name, string? Role, int? ExpiresInDays);

public sealed record ApiTokenResource
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("role")] public required string Role { get; init; }
    [JsonPropertyName("createdDateTime")] public DateTimeOffset CreatedDateTime { get; init; }
    [JsonPropertyName("expiresDateTime")] public DateTimeOffset? ExpiresDateTime { get; init; }
    [JsonPropertyName("revokedDateTime")] public DateTimeOffset? RevokedDateTime { get; init; }

    /// <summary>Only in the response that creates the token.</summary>
    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    public static ApiTokenResource From(ApiToken token) => new()
    {
        Id = token.Id.ToString(), Name = token.Name, Role = token.Role.ToString(),
        CreatedDateTime = token.CreatedAt, ExpiresDateTime = token.ExpiresAt, RevokedDateTime = token.RevokedAt,
    };
}
