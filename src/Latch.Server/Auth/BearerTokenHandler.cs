using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Core.Data;
using Latch.Server.Graph;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Latch.Server.Auth;

/// <summary>
/// Admin API bearer tokens (<c>Authorization: Bearer &lt;token&gt;</c>), checked against their stored hashes.
/// Failures answer in Graph's error shape, so the Graph SDK reports them as it would against Microsoft's service.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();

        var token = await tokens.FindAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null) return AuthenticateResult.Fail("Access token validation failure.");

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, token.Name), new Claim(ClaimTypes.Role, token.Role.ToString()), new Claim("latch:token", token.Id.ToString())],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        DenyAsync(StatusCodes.Status401Unauthorized, GraphErrorCodes.InvalidAuthenticationToken,
            Request.Headers.Authorization.Count == 0 ? "Access token is empty." : "Access token validation failure.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        DenyAsync(StatusCodes.Status403Forbidden, GraphErrorCodes.AuthorizationRequestDenied,
            "Insufficient privileges to complete the operation.");

    // Every refusal is audited: who (the token's name, or anonymous), what they tried, and why it was refused.
    private async Task DenyAsync(int status, string code, string message)
    {
        var db = Context.RequestServices.GetRequiredService<LatchDbContext>();
        db.AuditEvents.Add(new AuditEvent
        {
            At = TimeProvider.GetUtcNow(),
            Actor = Context.User.Identity?.Name ?? "anonymous",
            Kind = AuditKinds.RequestDenied,
            Detail = $"{status} {Request.Method} {Request.Path}: {message}",
        });
        await db.SaveChangesAsync(Context.RequestAborted);
        await WriteAsync(status, code, message);
    }

    private Task WriteAsync(int status, string code, string message)
    {
        Response.StatusCode = status;
        Response.ContentType = "application/json";
        return Response.WriteAsync(JsonSerializer.Serialize(GraphErrorBody.Of(code, message)), Context.RequestAborted);
    }
}
