using System.Net;
using System.Text;
using Latch.Core.Access;
using Latch.Core.Groups;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests;

/// <summary>
/// Every API route × every identity. The route list is checked against the app's own endpoints, so a new route
/// that is not added here fails the suite instead of slipping out unguarded. The console's pages and Blazor's
/// framework endpoints answer browsers (a redirect to the sign-in page, not a JSON 401) and have their own matrix in
/// <see cref="Console.ConsoleAuthorizationTests"/>, which fails in the same way for a page it does not list.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private static readonly string AnyDevice = Guid.NewGuid().ToString();
    private static readonly string AnyToken = Guid.NewGuid().ToString();
    private const string Upn = "ada.lovelace@demo.latch.example";

    private enum Needs { Nothing, Read, RemoteActions, Administer }

    private static readonly (string Method, string Route, string Url, Needs Needs, string? Body)[] Routes =
    [
        ("GET", "/healthz", "/healthz", Needs.Nothing, null),
        ("GET", "/openapi/{documentName}.json", "/openapi/v1.json", Needs.Nothing, null),
        ("GET", "/v1.0/deviceManagement/managedDevices/", "/v1.0/deviceManagement/managedDevices", Needs.Read, null),
        ("GET", "/v1.0/deviceManagement/managedDevices/{id}", $"/v1.0/deviceManagement/managedDevices/{AnyDevice}", Needs.Read, null),
        ("POST", "/v1.0/deviceManagement/managedDevices/{id}/remoteLock", $"/v1.0/deviceManagement/managedDevices/{AnyDevice}/remoteLock", Needs.RemoteActions, null),
        ("POST", "/v1.0/deviceManagement/managedDevices/{id}/resetPasscode", $"/v1.0/deviceManagement/managedDevices/{AnyDevice}/resetPasscode", Needs.RemoteActions, null),
        ("POST", "/v1.0/deviceManagement/managedDevices/executeAction", "/v1.0/deviceManagement/managedDevices/executeAction", Needs.RemoteActions,
            $$"""{"actionName":"remoteLock","deviceIds":["{{AnyDevice}}"]}"""),
        ("POST", "/v1.0/deviceManagement/managedDevices/previewAction", "/v1.0/deviceManagement/managedDevices/previewAction", Needs.RemoteActions,
            $$"""{"actionName":"remoteLock","deviceIds":["{{AnyDevice}}"]}"""),
        ("GET", "/v1.0/deviceManagement/actionRequests/{id:guid}", $"/v1.0/deviceManagement/actionRequests/{AnyToken}", Needs.Read, null),
        ("GET", "/v1.0/deviceManagement/actionRequests/{id:guid}/deviceActions", $"/v1.0/deviceManagement/actionRequests/{AnyToken}/deviceActions", Needs.Read, null),
        ("POST", "/v1.0/deviceManagement/actionRequests/{id:guid}/cancel", $"/v1.0/deviceManagement/actionRequests/{AnyToken}/cancel", Needs.RemoteActions, null),
        ("GET", "/v1.0/users/{user}/managedDevices/", $"/v1.0/users/{Upn}/managedDevices", Needs.Read, null),
        ("GET", "/v1.0/users/{user}/managedDevices/{id}", $"/v1.0/users/{Upn}/managedDevices/{AnyDevice}", Needs.Read, null),
        ("POST", "/v1.0/users/{user}/managedDevices/{id}/remoteLock", $"/v1.0/users/{Upn}/managedDevices/{AnyDevice}/remoteLock", Needs.RemoteActions, null),
        ("POST", "/v1.0/users/{user}/managedDevices/{id}/resetPasscode", $"/v1.0/users/{Upn}/managedDevices/{AnyDevice}/resetPasscode", Needs.RemoteActions, null),
        ("GET", "/v1.0/me/managedDevices/", "/v1.0/me/managedDevices", Needs.Read, null),
        ("GET", "/v1.0/me/managedDevices/{id}", $"/v1.0/me/managedDevices/{AnyDevice}", Needs.Read, null),
        ("POST", "/v1.0/me/managedDevices/{id}/remoteLock", $"/v1.0/me/managedDevices/{AnyDevice}/remoteLock", Needs.RemoteActions, null),
        ("POST", "/v1.0/me/managedDevices/{id}/resetPasscode", $"/v1.0/me/managedDevices/{AnyDevice}/resetPasscode", Needs.RemoteActions, null),
        ("GET", "/v1.0/users/", "/v1.0/users", Needs.Read, null),
        ("GET", "/v1.0/users/{user}", $"/v1.0/users/{Upn}", Needs.Read, null),
        ("GET", "/v1.0/me", "/v1.0/me", Needs.Read, null),
        ("GET", "/v1.0/groups/", "/v1.0/groups", Needs.Read, null),
        ("GET", "/v1.0/groups/{id:guid}", $"/v1.0/groups/{BuiltInGroups.AllDevices.Id}", Needs.Read, null),
        ("GET", "/v1.0/groups/{id:guid}/members", $"/v1.0/groups/{BuiltInGroups.AllDevices.Id}/members", Needs.Read, null),
        ("GET", "/v1.0/deviceManagement/auditEvents", "/v1.0/deviceManagement/auditEvents", Needs.Read, null),
        ("GET", "/v1.0/latch/apiTokens/", "/v1.0/latch/apiTokens", Needs.Administer, null),
        ("POST", "/v1.0/latch/apiTokens/", "/v1.0/latch/apiTokens", Needs.Administer, """{"name":"matrix","role":"ReadOnly"}"""),
        ("DELETE", "/v1.0/latch/apiTokens/{id:guid}", $"/v1.0/latch/apiTokens/{AnyToken}", Needs.Administer, null),
        ("GET", "/v1.0/latch/accounts/", "/v1.0/latch/accounts", Needs.Administer, null),
        ("POST", "/v1.0/latch/accounts/", "/v1.0/latch/accounts", Needs.Administer, """{"userName":"matrix","password":"a-long-password-1","role":"ReadOnly"}"""),
        ("DELETE", "/v1.0/latch/accounts/{id:guid}", $"/v1.0/latch/accounts/{AnyToken}", Needs.Administer, null),
        ("POST", "/v1.0/latch/accounts/{id:guid}/unlock", $"/v1.0/latch/accounts/{AnyToken}/unlock", Needs.Administer, null),
        // For another user: a user may download only their own (EnrollmentProfileApiTests covers that case).
        ("GET", "/v1.0/latch/enrollmentProfiles/apple", $"/v1.0/latch/enrollmentProfiles/apple?user={Upn}", Needs.RemoteActions, null),
        // Device endpoints: no administrator identity; each request is checked against the signing device identity (AppleMdmRefusalTests).
        ("PUT", "/mdm/apple/checkin", "/mdm/apple/checkin", Needs.Nothing, null),
        ("PUT", "/mdm/apple/command", "/mdm/apple/command", Needs.Nothing, null),
        // For another user: a user may issue a code only for themself (EnrollmentCodesApiTests covers that case).
        ("POST", "/v1.0/latch/enrollmentCodes", "/v1.0/latch/enrollmentCodes", Needs.RemoteActions, $$"""{"user":"{{Upn}}"}"""),
        // Windows enrolment and management: the enrolment code, then the issued client certificate (Windows/Enrolment, Windows/Mdm tests).
        ("GET", "/EnrollmentServer/Discovery.svc", "/EnrollmentServer/Discovery.svc", Needs.Nothing, null),
        ("POST", "/EnrollmentServer/Discovery.svc", "/EnrollmentServer/Discovery.svc", Needs.Nothing, null),
        ("POST", "/EnrollmentServer/Policy.svc", "/EnrollmentServer/Policy.svc", Needs.Nothing, null),
        ("POST", "/EnrollmentServer/Enrollment.svc", "/EnrollmentServer/Enrollment.svc", Needs.Nothing, null),
        ("GET", "/EnrollmentServer/Federated/SignIn", "/EnrollmentServer/Federated/SignIn", Needs.Nothing, null),
        ("POST", "/EnrollmentServer/Federated/SignIn", "/EnrollmentServer/Federated/SignIn", Needs.Nothing, null),
        ("POST", "/ManagementServer/MDM.svc", "/ManagementServer/MDM.svc", Needs.Nothing, null),
        ("POST", "/signin", "/signin", Needs.Nothing, """{"userName":"nobody","password":"wrong-password-123"}"""),
        ("POST", "/signout", "/signout", Needs.Nothing, null),
    ];

    private LatchAppFactory _app = null!;
    private readonly Dictionary<string, string?> _tokens = new() { ["anonymous"] = null, ["Administrator"] = AdminToken };

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await using var scope = _app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        _tokens["ReadOnly"] = (await tokens.IssueAsync("matrix-readonly", AdminRole.ReadOnly)).Secret;
        _tokens["HelpDeskOperator"] = (await tokens.IssueAsync("matrix-helpdesk", AdminRole.HelpDeskOperator)).Secret;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void EveryRouteOfTheApp_IsInTheMatrix()
    {
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => !Console.ConsoleAuthorizationTests.IsConsoleEndpoint(e))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e.RoutePattern.RawText!)))
            .Where(r => !r.Item2.StartsWith("/api", StringComparison.Ordinal))
            .Where(r => !Console.ConsoleAuthorizationTests.IsConsoleRoute(r.Item2))
            .Select(r => $"{r.Item1} {(r.Item2.StartsWith('/') ? r.Item2 : "/" + r.Item2)}")
            .ToHashSet();
        var listed = Routes.Select(r => $"{r.Method} {r.Route}").ToHashSet();
        Assert.Empty(endpoints.Except(listed));
        Assert.Empty(listed.Except(endpoints));
    }

    [Fact]
    public async Task EveryRoute_ForEveryIdentity_AnswersAsItsRoleAllows()
    {
        var failures = new List<string>();
        foreach (var (identity, token) in _tokens)
        {
            foreach (var route in Routes)
            {
                var client = _app.ClientWith(token);
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Url);
                if (route.Body is not null) request.Content = new StringContent(route.Body, Encoding.UTF8, "application/json");
                var status = (await client.SendAsync(request)).StatusCode;

                var expected = Expected(identity, route.Needs);
                var ok = expected switch
                {
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => status == expected,
                    // A wrong password at /signin is its own 401, whoever asks.
                    _ when route.Route == "/signin" => status == HttpStatusCode.Unauthorized,
                    _ => status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500,
                };
                if (!ok) failures.Add($"{identity} {route.Method} {route.Url}: {(int)status}, expected {(expected is null ? "allowed" : ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            }
        }
        Assert.Empty(failures);
    }

    private static HttpStatusCode? Expected(string identity, Needs needs) => (identity, needs) switch
    {
        (_, Needs.Nothing) => null,
        ("anonymous", _) => HttpStatusCode.Unauthorized,
        ("ReadOnly", Needs.RemoteActions or Needs.Administer) => HttpStatusCode.Forbidden,
        ("HelpDeskOperator", Needs.Administer) => HttpStatusCode.Forbidden,
        _ => null,
    };
}
