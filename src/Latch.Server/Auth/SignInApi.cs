using System.Security.Claims;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Server.Console;
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
        app.MapPost("/signout", async Task<Results<NoContent, RedirectHttpResult>> (HttpContext http, AdminAccounts accounts) =>
        {
            // The cookie itself ends too, not only the browser's copy: its account's stamp changes (AdminAccount.SessionStamp).
            var signedIn = await http.AuthenticateAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            if (Guid.TryParse(signedIn.Principal?.FindFirst(AdminAccounts.AccountClaim)?.Value, out var accountId))
                await accounts.EndSessionsAsync(accountId, http.RequestAborted);
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            // The console's sign-out button is a form: send the browser on to the sign-in page.
            return http.Request.HasFormContentType && (await http.Request.ReadFormAsync(http.RequestAborted)).ContainsKey(ConsoleAuth.ReturnUrlField)
                ? TypedResults.LocalRedirect($"{ConsoleAuth.SignInPath}?signedOut=1")
                : TypedResults.NoContent();
        }).AllowAnonymous().DisableAntiforgery();

        var accounts = app.MapGroup("/v1.0/latch/accounts").RequireAuthorization(Policies.Administer);
        accounts.MapGet("/", async (AdminAccounts store, CancellationToken cancellationToken) =>
            TypedResults.Ok(new { value = (await store.ListAsync(cancellationToken)).Select(a => new
            {
                id = a.Id.ToString(), userName = a.UserName, role = a.Role.ToString(), createdDateTime = a.CreatedAt, disabledDateTime = a.DisabledAt,
            }) }));
        accounts.MapPost("/", CreateAsync);
        accounts.MapPost("/{id:guid}/unlock", async Task<Results<NoContent, NotFound<GraphErrorBody>>> (Guid id, HttpContext http, AdminAccounts store,
            SignInThrottle throttle, LatchDbContext db, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            if (await store.UnlockAsync(id, cancellationToken) is not { } userName)
                return TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no account with id '{id}'."));
            throttle.Forgive(userName);
            db.AuditEvents.Add(new AuditEvent
            {
                At = clock.GetUtcNow(), Actor = ManagedDevicesApi.Actor(http), Kind = AuditKinds.AccountUnlocked, Detail = $"Account '{userName}' unlocked.",
            });
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.NoContent();
        });
        accounts.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound<GraphErrorBody>>> (Guid id, AdminAccounts store, CancellationToken cancellationToken) =>
            await store.DisableAsync(id, cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no account with id '{id}'.")));
    }

    private static async Task<Results<NoContent, RedirectHttpResult, BadRequest<GraphErrorBody>, JsonHttpResult<GraphErrorBody>>> SignInAsync(
        HttpContext http, AdminAccounts accounts, SignInThrottle throttle, LatchDbContext db, TimeProvider clock)
    {
        string? userName, password;
        // The console's sign-in page posts a form with returnUrl: it gets redirects (on to the page, or back with an
        // error) instead of the API's 204/401. Scripts and the API keep the API's answers.
        string? returnUrl = null;
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            (userName, password) = (form["userName"], form["password"]);
            if (form.TryGetValue(ConsoleAuth.ReturnUrlField, out var asked)) returnUrl = ConsoleAuth.LocalOrHome(asked);
        }
        else
        {
            var (body, invalid) = await GraphRequestBody.ReadAsync<Credentials>(http);
            if (invalid is not null) return invalid;
            (userName, password) = (body!.UserName, body.Password);
        }
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password))
            return returnUrl is not null
                ? TypedResults.LocalRedirect(ConsoleAuth.SignInPage(returnUrl, "missing"))
                : TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "Send userName and password."));

        var actor = userName.Length > 200 ? userName[..200] : userName;
        var address = http.Connection.RemoteIpAddress?.ToString();
        // Before any password is checked: a name or an address with recent failures waits (the same for every name, known or not).
        if (throttle.WaitFor(userName, address) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (returnUrl is not null) return TypedResults.LocalRedirect(ConsoleAuth.SignInPage(returnUrl, "wait"));
            return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.TooManyRequests,
                $"Too many failed sign-ins for this user name or from this address; try again in {seconds} s."), statusCode: StatusCodes.Status429TooManyRequests);
        }

        var (account, locked) = await accounts.VerifyAsync(userName, password, http.RequestAborted);
        if (account is null)
        {
            var held = throttle.Failed(userName, address);
            db.AuditEvents.Add(new AuditEvent
            {
                At = clock.GetUtcNow(), Actor = actor, Kind = AuditKinds.RequestDenied,
                Detail = $"401 POST /signin from {address}: wrong user name or password.",
            });
            if (locked || held)
                db.AuditEvents.Add(new AuditEvent
                {
                    At = clock.GetUtcNow(), Actor = actor, Kind = AuditKinds.AccountLocked,
                    Detail = $"Sign-in for '{actor}' held for {SignInThrottle.LockFor.TotalMinutes:0} minutes after {SignInThrottle.LockAfter} failures" +
                             (locked ? " (the account is locked until an Administrator unlocks it or the time passes)." : "."),
                });
            await db.SaveChangesAsync(http.RequestAborted);
            if (returnUrl is not null) return TypedResults.LocalRedirect(ConsoleAuth.SignInPage(returnUrl, "wrong"));
            return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.InvalidAuthenticationToken, "Wrong user name or password."),
                statusCode: StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, account.UserName), new Claim(ClaimTypes.Role, account.Role.ToString()), new Claim(AdminAccounts.AccountClaim, account.Id.ToString()),
                new Claim(AdminAccounts.StampClaim, account.SessionStamp ?? "")],
            CookieAuthenticationDefaults.AuthenticationScheme);
        throttle.Succeeded(userName);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return returnUrl is not null ? TypedResults.LocalRedirect(returnUrl) : TypedResults.NoContent();
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
