using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Secrets;
using Latch.Core.Sessions;
using Latch.Protocols.Apple;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Apple.Push;

namespace Latch.Server.Apple.Mdm;

/// <summary>
/// Apple's MDM protocol, device side (SPEC §6): the check-in endpoint (<c>Authenticate</c>, <c>TokenUpdate</c>,
/// <c>CheckOut</c>) and the command endpoint (ServerURL), where the device reports on its last command and gets the
/// next one. https://developer.apple.com/documentation/devicemanagement/check-in and .../commands-and-queries
/// </summary>
public static class AppleMdmApi
{
    public const string CheckInPath = "/mdm/apple/checkin";
    public const string CommandPath = "/mdm/apple/command";

    // Check-in types Apple documents that this server answers without acting on them.
    private static readonly HashSet<string> OtherKnownCheckins =
        ["SetBootstrapToken", "GetBootstrapToken", "DeclarativeManagement", "GetToken", "ReturnToService"];

    public static void MapAppleMdm(this IEndpointRouteBuilder app)
    {
        // Devices are not administrators: they prove who they are with their enrolment identity, checked per request.
        // Short-circuited: right after routing, without the cookie and token authentication, authorization, antiforgery
        // and API-reference middleware that serve people — none of it applies to a device, and devices call most often.
        app.MapPut(CheckInPath, CheckInAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        app.MapPut(CommandPath, CommandAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();
    }

    private static async Task<IResult> CheckInAsync(HttpContext http, AppleDeviceRequests requests, AppleEnrollments enrollments,
        AppleWakeUp wakeUp, CheckInRecorder checkIns, TimeProvider clock)
    {
        var (request, refusal) = await requests.ReadAsync(http, CheckinMessage.ContentType, CheckinMessage.Decode, "check-in");
        if (refusal is not null) return refusal;
        var (message, enrollment) = request!;

        if (message is OtherCheckin && message.MessageType == "UserAuthenticate")
            return TypedResults.StatusCode(StatusCodes.Status410Gone); // Apple: 410 declines the user channel
        if (message is OtherCheckin && !OtherKnownCheckins.Contains(message.MessageType))
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"Unknown check-in MessageType '{message.MessageType}'.",
                enrollment.CertificateThumbprint, enrollment.DeviceId);

        if (AppleEnrollments.Check(enrollment, message.UDID, isAuthenticate: message is Authenticate, clock.GetUtcNow()) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, problem, enrollment.CertificateThumbprint, enrollment.DeviceId);
        if (message.Topic is { } topic && topic != wakeUp.Topic)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
                $"The message's Topic '{topic}' is not this server's push topic.", enrollment.CertificateThumbprint, enrollment.DeviceId);

        switch (message)
        {
            case Authenticate authenticate:
                if ((await enrollments.AuthenticateAsync(enrollment.Id, authenticate, http.RequestAborted)).Refusal is { } takeover)
                    return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, takeover, enrollment.CertificateThumbprint, enrollment.DeviceId);
                break;
            case TokenUpdate tokenUpdate:
                if (await enrollments.TokenUpdateAsync(enrollment.Id, tokenUpdate, http.RequestAborted))
                    await wakeUp.WakeAsync([enrollment.DeviceId!.Value], http.RequestAborted); // fetch the first queries now
                break;
            case CheckOut:
                await enrollments.CheckOutAsync(enrollment.Id, http.RequestAborted);
                break;
            default:
                checkIns.Record(enrollment.DeviceId!.Value);
                break;
        }
        return TypedResults.Ok();
    }

    private static async Task<IResult> CommandAsync(HttpContext http, AppleDeviceRequests requests, DeviceSessions sessions, SecretProtector secrets,
        TimeProvider clock, ILogger<AppleDeviceRequests> logger)
    {
        var (request, refusal) = await requests.ReadAsync(http, CommandResponse.ContentType, CommandResponse.Decode, "command report");
        if (refusal is not null) return refusal;
        var (response, enrollment) = request!;
        if (AppleEnrollments.Check(enrollment, response.UDID, isAuthenticate: false, clock.GetUtcNow()) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, problem, enrollment.CertificateThumbprint, enrollment.DeviceId);

        // Idle starts a session (a command the device put off with NotNow is offered again); anything else reports on a command.
        var idle = response.Status == CommandResponseStatus.Idle;
        DeviceReport[] reports = [];
        if (!idle)
        {
            if (AppleReports.ToDeviceReport(response, logger) is not { } report) return await NotTheDevicesCommandAsync();
            reports = [report];
        }
        var exchange = await sessions.ExchangeAsync(enrollment.DeviceId!.Value, idle ? SessionStart.New : SessionStart.Continues, reports,
            maxCommands: 1, new AppleCommandEncoder(enrollment, secrets), cancellationToken: http.RequestAborted);
        if (exchange.Reports is [ReportOutcome.UnknownCommand]) return await NotTheDevicesCommandAsync();
        return exchange.Commands is [var command] ? new CommandBody(command.Encode()) : TypedResults.Ok(); // 200, empty: nothing to do

        Task<IResult> NotTheDevicesCommandAsync() => requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
            $"CommandUUID '{response.CommandUUID}' is not one of this device's commands.", enrollment.CertificateThumbprint, enrollment.DeviceId);
    }

    // The command as the answer's body: written as it is (TypedResults.Bytes would also weigh ranges and preconditions).
    private sealed class CommandBody(byte[] plist) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = "application/xml";
            http.Response.ContentLength = plist.Length;
            return http.Response.Body.WriteAsync(plist).AsTask();
        }
    }
}
