using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
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

    private static async Task<IResult> CommandAsync(HttpContext http, AppleDeviceRequests requests, QuietDevices quiet, CommandPlanner planner,
        WriteBatcher batcher, CheckInRecorder checkIns, TimeProvider clock, ILogger<AppleDeviceRequests> logger)
    {
        var (request, refusal) = await requests.ReadAsync(http, DeviceReport.ContentType, DeviceReport.Decode, "command report");
        if (refusal is not null) return refusal;
        var (report, enrollment) = request!;
        if (AppleEnrollments.Check(enrollment, report.UDID, isAuthenticate: false, clock.GetUtcNow()) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, problem, enrollment.CertificateThumbprint, enrollment.DeviceId);

        var deviceId = enrollment.DeviceId!.Value;
        checkIns.Record(deviceId);
        // Idle starts a session (a command the device put off with NotNow is offered again). Most find nothing to do:
        // those are answered from memory, without a read or a place in a commit batch. Everything else — read what to
        // do, then write it — runs in one operation of the single writer, batched with other devices' operations in
        // one commit (WriteBatcher), and the answer goes out after that commit. The reads run there too: on the
        // writer's connection, whose cache its own commits keep warm (a reader's is emptied by every commit).
        var idle = report.Status == DeviceStatus.Idle;
        if (idle && quiet.IsQuiet(deviceId)) return TypedResults.Ok();
        var quietSince = quiet.Version; // read before the queue is: see QuietDevices.Remember
        if (!idle)
        {
            var recorded = ToCoreReport(report);
            var planned = Guid.TryParse(report.CommandUUID, out var commandId)
                ? await batcher.RunAsync(async (services, cancellationToken) =>
                {
                    var plan = await planner.PlanReportAsync(services.GetRequiredService<LatchDbContext>(), deviceId, commandId, cancellationToken);
                    if (plan is not null) await RecordAsync(services, deviceId, plan, recorded, report, logger, cancellationToken);
                    return plan;
                }, http.RequestAborted)
                : null;
            if (planned is null)
                return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
                    $"CommandUUID '{report.CommandUUID}' is not one of this device's commands.", enrollment.CertificateThumbprint, deviceId);
            // Nothing else was waiting: the session ends here (a command queued meanwhile sends a push, and the device
            // starts a new session for it). With nothing open at all once this report closed its command, the device's
            // next Idle is answered from memory.
            if (!planned.OthersWaiting)
            {
                if (!planned.OthersOpen && report.Status != DeviceStatus.NotNow) quiet.Remember(deviceId, quietSince);
                return TypedResults.Ok();
            }
        }

        for (var attempt = 0; attempt < MaxDeliveryAttempts; attempt++)
        {
            var (next, queueEmpty) = await batcher.RunAsync((services, cancellationToken) =>
                services.GetRequiredService<DeviceActions>().DeliverNextAsync(deviceId, newSession: idle, cancellationToken), http.RequestAborted);
            if (next is null)
            {
                if (queueEmpty && idle) quiet.Remember(deviceId, quietSince);
                break;
            }

            if (AppleCommands.ToAppleCommand(next, enrollment, e => http.RequestServices.GetRequiredService<AppleEnrollments>().UnlockTokenOf(e))
                is { } mdmCommand)
                return new CommandBody(mdmCommand.Encode());

            // Nothing an Apple device can run (or a ClearPasscode without an unlock token): fail it and look further.
            var why = CoreReport.Failed(AppleCommands.WhyNot(next));
            await batcher.RunAsync((services, cancellationToken) =>
                services.GetRequiredService<DeviceActions>().RecordReportAsync(deviceId, next.Id, why, cancellationToken), http.RequestAborted);
        }
        return TypedResults.Ok(); // 200 with a zero-length body: nothing to do
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

    // A device's queue that keeps moving under it (other requests of the same device) is left for its next check-in.
    private const int MaxDeliveryAttempts = 20;

    // The device's report, inside the batch's transaction, with the facts a query's answer carries.
    private static async Task<ReportOutcome> RecordAsync(IServiceProvider services, Guid deviceId, PlannedReport planned, CoreReport recorded,
        DeviceReport answer, ILogger logger, CancellationToken cancellationToken)
    {
        var (outcome, command) = await services.GetRequiredService<DeviceActions>().ApplyReportAsync(planned, recorded, cancellationToken);
        if (outcome == ReportOutcome.Recorded && answer.Status == DeviceStatus.Acknowledged)
            await RecordAnswerAsync(services.GetRequiredService<AppleEnrollments>(), deviceId, command, answer, logger, cancellationToken);
        return outcome;
    }

    private static CoreReport ToCoreReport(DeviceReport report) => report.Status switch
    {
        DeviceStatus.Acknowledged => CoreReport.Acknowledged,
        DeviceStatus.NotNow => CoreReport.NotNow,
        DeviceStatus.CommandFormatError => CoreReport.Failed("The device could not read the command (CommandFormatError)."),
        _ => CoreReport.Failed(AppleCommands.DescribeErrors(report.ErrorChain)),
    };

    // Facts from a query's answer. A malformed answer is logged and skipped: the report itself is already recorded.
    private static async Task RecordAnswerAsync(AppleEnrollments enrollments, Guid deviceId, Command command, DeviceReport report,
        ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            switch (command.Type)
            {
                case CommandTypes.QueryDeviceInformation when report.Dict.TryGetValue("QueryResponses", out var answers) && answers is PlistDict responses:
                    await enrollments.RecordDeviceInformationAsync(deviceId, responses, cancellationToken);
                    break;
                case CommandTypes.QuerySecurityInfo when report.Dict.TryGetValue("SecurityInfo", out var answers) && answers is PlistDict info:
                    await enrollments.RecordSecurityInfoAsync(deviceId, info, cancellationToken);
                    break;
            }
        }
        catch (PlistFormatException exception)
        {
            logger.LogWarning("Device {DeviceId} answered {Type} with keys of the wrong type: {Problem}", deviceId, command.Type, exception.Message);
        }
    }
}
