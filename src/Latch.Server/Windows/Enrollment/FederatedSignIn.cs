using System.Text.Encodings.Web;
using Latch.Core.Enrollment;

namespace Latch.Server.Windows.Enrollment;

/// <summary>
/// The Federated authentication page (MS-MDE2 §3.2): the device opens it in its web authentication broker with
/// <c>appru</c> (where to return) and <c>login_hint</c> (the user's address); the user types their enrolment code;
/// the page posts a token back to <c>appru</c> in the <c>wresult</c> field, which the device then sends as its
/// security token (<see cref="WindowsEnrollmentCredentials"/>). Only the broker's own return addresses are accepted
/// (ms-app://, ms-appx-web://), so a token never goes anywhere else.
/// </summary>
public static class FederatedSignIn
{
    public const string Path = "/EnrollmentServer/Federated/SignIn";

    public static void MapFederatedSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (string? appru, string? login_hint) => IsBrokerReturn(appru)
            ? Page(appru!, login_hint, null, StatusCodes.Status200OK)
            : BadReturn()).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(Path, SignInAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
    }

    private static async Task<IResult> SignInAsync(HttpContext http, EnrollmentCodes codes, WindowsEnrollmentCredentials credentials)
    {
        if (!http.Request.HasFormContentType) return TypedResults.Text("The sign-in form is posted as a form.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? appru = form["appru"], upn = form["upn"], code = form["code"];
        if (!IsBrokerReturn(appru)) return BadReturn();
        var (accepted, refusal) = await codes.CheckAsync(upn, code, http.RequestAborted);
        if (accepted is null) return Page(appru!, upn, refusal, StatusCodes.Status400BadRequest);
        var token = credentials.IssueFederatedToken(upn!, code!);
        var html = $$"""
            <!doctype html><html><head><meta charset="utf-8"><title>Signed in</title></head>
            <body onload="document.forms[0].submit()"><form method="post" action="{{Html(appru!)}}">
            <input type="hidden" name="wresult" value="{{Html(token)}}"><noscript><button type="submit">Continue</button></noscript>
            </form></body></html>
            """;
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(html, "text/html; charset=utf-8");
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult Page(string appru, string? upn, string? error, int status)
    {
        var html = $$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Enrol with Latch</title></head><body style="font-family:sans-serif;max-width:28em;margin:2em auto">
            <h1>Enrol this device</h1>
            <p>Type your work address and the enrolment code you were given.</p>
            {{(error is null ? "" : $"<p role=\"alert\" style=\"color:#a4262c\">{Html(error)}</p>")}}
            <form method="post">
            <input type="hidden" name="appru" value="{{Html(appru)}}">
            <p><label>Work address<br><input name="upn" type="email" autocomplete="username" required value="{{Html(upn ?? "")}}"></label></p>
            <p><label>Enrolment code<br><input name="code" autocomplete="one-time-code" required></label></p>
            <p><button type="submit">Enrol</button></p>
            </form></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ContentHttpResult BadReturn() => TypedResults.Text(
        "appru must be the web authentication broker's return address (ms-app:// or ms-appx-web://).", statusCode: StatusCodes.Status400BadRequest);

    private static bool IsBrokerReturn(string? appru) =>
        Uri.TryCreate(appru, UriKind.Absolute, out var uri) && uri.Scheme is "ms-app" or "ms-appx-web";

    private static string Html(string text) => HtmlEncoder.Default.Encode(text);
}
