using System.Text.Json.Serialization;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Server.Auth;
using Latch.Server.Graph;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Devices;

/// <summary>
/// <c>POST /v1.0/latch/enrollmentCodes</c>: a single-use enrolment code, for the caller themself or, as an
/// Administrator or Help Desk Operator, for any user (and optionally for a device Latch knows, to enrol it again).
/// The user types it with their user principal name when the device asks (Windows: "Access work or school" → the
/// enrolment's password field, or Latch's sign-in page). The code is in this answer only: Latch keeps its HMAC.
/// </summary>
public static class EnrollmentCodesApi
{
    public const string Path = "/v1.0/latch/enrollmentCodes";

    public sealed record IssueRequest
    {
        [JsonPropertyName("user")] public string? User { get; init; }
        [JsonPropertyName("device")] public Guid? Device { get; init; }
        [JsonPropertyName("lifetimeHours")] public double? LifetimeHours { get; init; }
    }

    public sealed record EnrollmentCodeResource(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("userPrincipalName")] string UserPrincipalName,
        [property: JsonPropertyName("expiresDateTime")] DateTimeOffset ExpiresDateTime);

    public static void MapEnrollmentCodes(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, IssueAsync).RequireAuthorization(Policies.Read)
            .WithSummary("Issue a single-use enrolment code for yourself or, as an administrator, for a user.");

    private static async Task<IResult> IssueAsync(HttpContext http, LatchDbContext db, EnrollmentCodes codes)
    {
        IssueRequest request = new();
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            if (!http.Request.HasJsonContentType())
                return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.BadRequest, "The body must be JSON (Content-Type: application/json)."),
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
            try
            {
                request = await http.Request.ReadFromJsonAsync<IssueRequest>(http.RequestAborted) ?? new IssueRequest();
            }
            catch (System.Text.Json.JsonException exception)
            {
                return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest, $"The body is not valid JSON: {exception.Message}"));
            }
        }

        var me = await UsersApi.MeAsync(http, db);
        var target = request.User is null ? me : await UsersApi.FindUserAsync(db, request.User, http.RequestAborted);
        if (target is null)
            return TypedResults.NotFound(request.User is null ? UsersApi.NotAUser(http)
                : GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no user '{request.User}'."));
        if ((me is null || me.Id != target.Id || request.Device is not null) && !Policies.CanEnrolForOthers(http))
            return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.AuthorizationRequestDenied,
                "Only an Administrator or Help Desk Operator can issue an enrolment code for another user or for a known device."),
                statusCode: StatusCodes.Status403Forbidden);
        if (request.Device is { } deviceId && !await db.Devices.AnyAsync(d => d.Id == deviceId, http.RequestAborted))
            return TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no device '{deviceId}'."));

        // Checked as hours first: TimeSpan.FromHours overflows on a huge number.
        if (request.LifetimeHours is { } hours && !(hours >= 1.0 / 60 && hours <= EnrollmentCodes.MaximumLifetime.TotalHours))
            return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                $"lifetimeHours must be between 1/60 and {EnrollmentCodes.MaximumLifetime.TotalHours:0}."));

        var lifetime = request.LifetimeHours is { } valid ? TimeSpan.FromHours(valid) : EnrollmentCodes.DefaultLifetime;
        var issued = await codes.IssueAsync(target, ManagedDevicesApi.Actor(http), lifetime, request.Device, http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"{Path}/{issued.Id}",
            new EnrollmentCodeResource(issued.Id.ToString(), issued.Code, issued.UserPrincipalName, issued.ExpiresAt));
    }

}
