using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Server.Apple.Mdm;
using Latch.Server.Apple.Push;
using Latch.Server.Auth;
using Latch.Server.Devices;
using Latch.Server.Graph;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Latch.Server.Apple.Enrollment;

/// <summary>
/// <c>GET /v1.0/latch/enrollmentProfiles/apple</c>: a signed enrolment profile with a device identity of its own.
/// A user downloads one for themself; an Administrator or Help Desk Operator for anyone (<c>?user=</c>), optionally
/// for a device Latch already knows (<c>&amp;device=</c>, to enrol it again).
/// </summary>
public static class EnrollmentProfilesApi
{
    public const string Path = "/v1.0/latch/enrollmentProfiles/apple";

    public static void MapEnrollmentProfiles(this IEndpointRouteBuilder app) =>
        app.MapGet(Path, DownloadAsync).RequireAuthorization(Policies.Read)
            .WithSummary("Download an Apple enrolment profile (.mobileconfig) for yourself or, as an administrator, for a user.");

    private static async Task<IResult> DownloadAsync(string? user, string? device, HttpContext http, LatchDbContext db,
        AppleEnrollmentProfiles profiles)
    {
        var me = await UsersApi.MeAsync(http, db);
        Core.Users.User? target;
        if (user is null)
        {
            if (me is null) return TypedResults.NotFound(UsersApi.NotAUser(http));
            target = me;
        }
        else
        {
            target = await UsersApi.FindUserAsync(db, user, http.RequestAborted);
            if (target is null)
                return TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no user '{user}'."));
        }

        var forSomeoneElse = me is null || target.Id != me.Id;
        if ((forSomeoneElse || device is not null) && !Policies.CanEnrolForOthers(http))
            return TypedResults.Json(GraphErrorBody.Of(GraphErrorCodes.AuthorizationRequestDenied,
                "Only an Administrator or Help Desk Operator can download an enrolment profile for another user or for a known device."),
                statusCode: StatusCodes.Status403Forbidden);

        Guid? deviceId = null;
        if (device is not null)
        {
            if (!Guid.TryParse(device, out var id)
                || await db.Devices.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, http.RequestAborted) is not { } known)
                return TypedResults.NotFound(GraphErrorBody.Of(GraphErrorCodes.ResourceNotFound, $"There is no device '{device}'."));
            if (known.Platform is not (Platform.IOS or Platform.MacOS))
                return TypedResults.BadRequest(GraphErrorBody.Of(GraphErrorCodes.BadRequest,
                    $"'{known.Name}' is a {known.Platform.DisplayName()} device; Apple enrolment profiles are for iOS, iPadOS and macOS."));
            deviceId = id;
        }

        var profile = await profiles.IssueAsync(target.Id, ManagedDevicesApi.Actor(http), BaseUrlOf(http), deviceId, http.RequestAborted);
        return TypedResults.File(profile, AppleEnrollmentProfile.ContentType, "latch-enrollment.mobileconfig");
    }


    private static Uri BaseUrlOf(HttpContext http) => new($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/");
}

/// <summary>Issues enrolment profiles: a fresh identity from Latch's CA, the enrolment record, the signed profile.</summary>
public sealed class AppleEnrollmentProfiles(DeviceCertificateAuthority authority, AppleEnrollments enrollments, AppleWakeUp push,
    IOptions<AppleOptions> options)
{
    /// <param name="requestBaseUrl">Where the request came in; used when <see cref="AppleOptions.PublicUrl"/> is not set.</param>
    public async Task<byte[]> IssueAsync(Guid userId, string issuedBy, Uri requestBaseUrl, Guid? deviceId = null,
        CancellationToken cancellationToken = default)
    {
        var enrollmentId = Guid.CreateVersion7();
        var identity = authority.IssueDeviceIdentity($"Latch device identity {enrollmentId}", options.Value.DeviceKeyAlgorithm);
        using var certificate = identity.Certificate;
        await enrollments.IssueAsync(enrollmentId, userId, issuedBy, identity.Sha256Thumbprint, identity.NotAfter, deviceId, cancellationToken);

        var baseUrl = options.Value.PublicUrl ?? requestBaseUrl;
        var profile = AppleEnrollmentProfile.Build(new EnrollmentProfileInput(
            ServerUrl: new Uri(baseUrl, AppleMdmApi.CommandPath.TrimStart('/')),
            CheckInUrl: new Uri(baseUrl, AppleMdmApi.CheckInPath.TrimStart('/')),
            Topic: push.Topic,
            Identity: identity,
            CaCertificate: authority.Certificate,
            EnrollmentId: enrollmentId,
            Organization: options.Value.Organization));
        return authority.Sign(profile);
    }
}
