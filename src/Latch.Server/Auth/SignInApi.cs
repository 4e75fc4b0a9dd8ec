using System.Security.Claims;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Server.Graph;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Latch.Server.Auth;

/// <summary>
/// Console sign-in with a local account: <c>POST /signin</c> (form or JSON <c>userName</c>, <c>password</c>) sets an
/// HTTP-only, same-site cookie that the admin API accepts as it accepts a bearer token; <c>POST /signout</c> ends it.
/// Administrators manage accounts at <c>/v1.0/latch/accounts</c>.
/// </summary>
public static class SignInApi
{
    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapPost("/signin", SignInAsync).AllowAnonymous().DisableAntiforgery();
        app.MapPost("/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.NoContent();
        }).AllowAnonymous().DisableAntiforgery();

        var accounts = app.MapGroup("/v1.0/latch/accounts").RequireAuthorization(Policies.Administer);
        accounts.MapGet("/", async (AdminAccounts store, CancellationToken cancellationToken) =>
            TypedResults.Ok(new { value = (await store.ListAsync(cancellationToken)).Select(a => new
            {
                id = a.Id.ToString(), userName = a.UserName, role = a.Role.ToString(), createdDateTime = a.CreatedAt, disabledDateTime = a.DisabledAt,
            }) }));
        accounts.MapPost("/", CreateAsync);
        accounts.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound<GraphErrorBody>>> (Guid id, AdminAccounts store, CancellationToken cancellationToken) =>
            await store.DisableAsync(id, cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no account with id '{id}'.")));
    }

    private static async Task<Results<NoContent, BadRequest<GraphErrorBody>, JsonHttpResult<GraphErrorBody>>> SignInAsync(
        HttpContext http, AdminAccounts accounts, LatchDbContext db, TimeProvider clock)
    {
        string? userName, password;
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            (userName, password) = (form["userName"], form["password"]);
        }
        else
        {
            var (body, invalid) = await GraphRequestBody.ReadAsync<Credentials>(http);
            if (invalid is not null) return invalid;
            (userName, password) = (body!.UserName, body.Password);
        }
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "Send userName and password."));

        var account = await accounts.VerifyAsync(userName, password, http.RequestAborted);
        if (account is null)
        {
            db.AuditEvents.Add(new AuditEvent
            {
                At = clock.GetUtcNow(), Actor = userName.Length > 200 ? userName[..200] : userName, Kind = AuditKinds.RequestDenied,
                Detail = "401 POST /signin: wrong user name or password.",
            });
            await db.SaveChangesAsync(http.RequestAborted);
            return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.InvalidAuthenticationToken, "Wrong user name or password."),
                statusCode: StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, account.UserName), new Claim(ClaimTypes.Role, account.Role.ToString()), new Claim(AdminAccounts.AccountClaim, account.Id.ToString())],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<object>, BadRequest<GraphErrorBody>>> CreateAsync(HttpContext http, AdminAccounts accounts)
    {
        var (body, invalid) = await GraphRequestBody.ReadAsync<NewAccount>(http);
        if (invalid is not null) return invalid;
        if (body!.UserName is null || body.Password is null || !Enum.TryParse<AdminRole>(body.Role, out var role) || !Enum.IsDefined(role))
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                $"An account needs userName, password and role ({string.Join(", ", Enum.GetNames<AdminRole>())})."));
        try
        {
            var account = await accounts.CreateAsync(body.UserName, body.Password, role, http.RequestAborted);
            return TypedResults.Created($"/v1.0/latch/accounts/{account.Id}",
                (object)new { id = account.Id.ToString(), userName = account.UserName, role = account.Role.ToString() });
        }
        catch (ArgumentException error)
        {
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, error.Message.Split(" (Parameter")[0]));
        }
    }

    private sealed record Credentials(string? UserName, string? Password);

    private sealed record NewAccount(string? UserName, string? Password, string? Role);
}
