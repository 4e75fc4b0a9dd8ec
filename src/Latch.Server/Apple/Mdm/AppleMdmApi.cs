using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Enrollment;
using Latch.Protocols.Apple;
using Latch.Server.Apple.Push;
using Latch.Server.Devices;
using CoreReport = Latch.Core.Commands.CommandReport;
using DeviceReport = Latch.Protocols.Apple.CommandReport;
using DeviceStatus = Latch.Protocols.Apple.CommandStatus;

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
        app.MapPut(CheckInPath, CheckInAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapPut(CommandPath, CommandAsync).AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task<IResult> CheckInAsync(HttpContext http, AppleDeviceRequests requests, AppleEnrollments enrollments,
        AppleWakeUp wakeUp, CheckInRecorder checkIns)
    {
        var (request, refusal) = await requests.ReadAsync(http, CheckinMessage.ContentType);
        if (refusal is not null) return refusal;
        var (body, enrollment) = request!;

        CheckinMessage message;
        try
        {
            message = CheckinMessage.Decode(body);
        }
        catch (PlistFormatException exception)
        {
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"The check-in is not a valid message: {exception.Message}",
                enrollment.CertificateThumbprint, enrollment.DeviceId);
        }

        if (message is OtherCheckin && message.MessageType == "UserAuthenticate")
            return TypedResults.StatusCode(StatusCodes.Status410Gone); // Apple: 410 declines the user channel
        if (message is OtherCheckin && !OtherKnownCheckins.Contains(message.MessageType))
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"Unknown check-in MessageType '{message.MessageType}'.",
                enrollment.CertificateThumbprint, enrollment.DeviceId);

        if (enrollments.Check(enrollment, message.UDID, isAuthenticate: message is Authenticate) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, problem, enrollment.CertificateThumbprint, enrollment.DeviceId);
        if (message.Topic is { } topic && topic != wakeUp.Topic)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
                $"The message's Topic '{topic}' is not this server's push topic.", enrollment.CertificateThumbprint, enrollment.DeviceId);

        switch (message)
        {
            case Authenticate authenticate:
                await enrollments.AuthenticateAsync(enrollment.Id, authenticate, http.RequestAborted);
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

    private static async Task<IResult> CommandAsync(HttpContext http, AppleDeviceRequests requests, AppleEnrollments enrollments,
        DeviceActions actions, CheckInRecorder checkIns)
    {
        var (request, refusal) = await requests.ReadAsync(http, DeviceReport.ContentType);
        if (refusal is not null) return refusal;
        var (body, enrollment) = request!;

        DeviceReport report;
        try
        {
            report = DeviceReport.Decode(body);
        }
        catch (PlistFormatException exception)
        {
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"The command report is not a valid message: {exception.Message}",
                enrollment.CertificateThumbprint, enrollment.DeviceId);
        }
        if (enrollments.Check(enrollment, report.UDID, isAuthenticate: false) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, problem, enrollment.CertificateThumbprint, enrollment.DeviceId);

        var deviceId = enrollment.DeviceId!.Value;
        checkIns.Record(deviceId);
        if (report.Status != DeviceStatus.Idle)
        {
            var (outcome, command) = Guid.TryParse(report.CommandUUID, out var commandId)
                ? await actions.RecordReportAsync(deviceId, commandId, ToCoreReport(report), http.RequestAborted)
                : (ReportOutcome.UnknownCommand, null);
            if (outcome == ReportOutcome.UnknownCommand)
                return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
                    $"CommandUUID '{report.CommandUUID}' is not one of this device's commands.", enrollment.CertificateThumbprint, deviceId);
            if (outcome == ReportOutcome.Recorded && report.Status == DeviceStatus.Acknowledged)
                await RecordAnswerAsync(enrollments, deviceId, command!, report, http.RequestAborted);
        }

        // Idle starts a session (a command the device put off with NotNow is offered again); otherwise the session goes on.
        var newSession = report.Status == DeviceStatus.Idle;
        while (await actions.NextCommandAsync(deviceId, newSession, http.RequestAborted) is { } next)
        {
            if (AppleCommands.ToAppleCommand(next, enrollment, enrollments) is { } mdmCommand)
                return TypedResults.Bytes(mdmCommand.Encode(), "application/xml");

            // Nothing an Apple device can run (or a ClearPasscode without an unlock token): fail it and look further.
            await actions.RecordReportAsync(deviceId, next.Id, CoreReport.Failed(AppleCommands.WhyNot(next)), http.RequestAborted);
            newSession = false;
        }
        return TypedResults.Ok(); // 200 with a zero-length body: nothing to do
    }

    private static CoreReport ToCoreReport(DeviceReport report) => report.Status switch
    {
        DeviceStatus.Acknowledged => CoreReport.Acknowledged,
        DeviceStatus.NotNow => CoreReport.NotNow,
        DeviceStatus.CommandFormatError => CoreReport.Failed("The device could not read the command (CommandFormatError)."),
        _ => CoreReport.Failed(AppleCommands.DescribeErrors(report.ErrorChain)),
    };

    private static Task RecordAnswerAsync(AppleEnrollments enrollments, Guid deviceId, Command command, DeviceReport report,
        CancellationToken cancellationToken) => command.Type switch
    {
        CommandTypes.QueryDeviceInformation when report.Dict.TryGetValue("QueryResponses", out var answers) && answers is PlistDict responses =>
            enrollments.RecordDeviceInformationAsync(deviceId, responses, cancellationToken),
        CommandTypes.QuerySecurityInfo when report.Dict.TryGetValue("SecurityInfo", out var answers) && answers is PlistDict info =>
            enrollments.RecordSecurityInfoAsync(deviceId, info, cancellationToken),
        _ => Task.CompletedTask,
    };
}
