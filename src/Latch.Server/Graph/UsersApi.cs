using System.Text.Json.Serialization;
using Latch.Core.Data;
using Latch.Core.Users;
using Latch.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Graph;

/// <summary><c>/v1.0/users</c> and <c>/v1.0/me</c>, as Graph's user resource (the properties Latch keeps).</summary>
public static class UsersApi
{
    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/v1.0/users").RequireAuthorization(Policies.Read);
        users.MapGet("/", (HttpContext http, LatchDbContext db) => ListAsync(http, db));
        users.MapGet("/{user}", async Task<Results<Ok<UserResource>, NotFound<GraphErrorBody>>> (string user, HttpContext http, LatchDbContext db) =>
            await FindUserAsync(db, user, http.RequestAborted) is { } found
                ? TypedResults.Ok(UserResource.From(found, http))
                : TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no user '{user}'.")));
        app.MapGet("/v1.0/me", async Task<Results<Ok<UserResource>, NotFound<GraphErrorBody>>> (HttpContext http, LatchDbContext db) =>
            await MeAsync(http, db) is { } me ? TypedResults.Ok(UserResource.From(me, http)) : TypedResults.NotFound(NotAUser(http)))
            .RequireAuthorization(Policies.Read);
    }

    private static async Task<Results<ContentHttpResult, BadRequest<GraphErrorBody>>> ListAsync(HttpContext http, LatchDbContext db) =>
        await GraphList.PageAsync(http, db.Users.AsNoTracking(), GraphModels.User, u => u.Id,
            users => Task.FromResult<IReadOnlyList<UserResource>>(users.Select(u => UserResource.From(u, null)).ToList()), "users");

    /// <summary>A user by id or by userPrincipalName (case-insensitive), as Graph accepts either.</summary>
    public static async Task<User?> FindUserAsync(LatchDbContext db, string idOrPrincipalName, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(idOrPrincipalName, out var id))
            return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == id, cancellationToken);
        var upn = idOrPrincipalName.ToLowerInvariant();
#pragma warning disable CA1862 // EF Core translates ToLower() on every provider; string.Equals with a StringComparison it does not
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserPrincipalName.ToLower() == upn, cancellationToken);
#pragma warning restore CA1862
    }

    /// <summary>The signed-in caller as a user: a token named after a user's userPrincipalName acts as that user.</summary>
    public static Task<User?> MeAsync(HttpContext http, LatchDbContext db) =>
        FindUserAsync(db, ManagedDevicesApi.Actor(http), http.RequestAborted);

    public static GraphErrorBody NotAUser(HttpContext http) => GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound,
        $"The signed-in identity '{ManagedDevicesApi.Actor(http)}' is not a Latch user; /me works for a token named after a user's userPrincipalName.");
}

public sealed record UserResource
{
    [JsonPropertyName("@odata.context")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ODataContext { get; init; }
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("displayName")] public required string DisplayName { get; init; }
    [JsonPropertyName("userPrincipalName")] public required string UserPrincipalName { get; init; }
    [JsonPropertyName("mail")] public string? Mail { get; init; }

    public static UserResource From(User user, HttpContext? entityRequest) => new()
    {
        ODataContext = entityRequest is null ? null : $"{GraphList.BaseUrl(entityRequest)}/v1.0/$metadata#users/$entity",
        Id = user.Id.ToString(), DisplayName = user.DisplayName, UserPrincipalName = user.UserPrincipalName, Mail = user.Email,
    };
}
