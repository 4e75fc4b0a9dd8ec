using Latch.Core.Commands;
using Latch.Core.Sessions;
using Latch.Protocols.Windows;
using Latch.Server.Windows.Enrollment;
using Microsoft.Extensions.Options;

namespace Latch.Server.Windows.Mdm;

/// <summary>
/// The OMA-DM management endpoint (MS-MDM §3.1, SyncML 1.2 over HTTPS): one POST per package. The device's package 1
/// (Alert 1201/1200, DevInfo, LoginStatus) starts a session; the server answers each package with the Status of its
/// SyncHdr first and one Status per command, in order (MS-MDM §2.2.6.1), then the commands queued for the device;
/// the device's next package reports on them (Status, Results) and gets the next ones, until a server package carries
/// no command and the session ends.
/// </summary>
public static class WindowsMdmApi
{
    public const string Path = "/ManagementServer/MDM.svc";

    public static void MapWindowsMdm(this IEndpointRouteBuilder app) =>
        // Devices are not administrators: the enrolment certificate authenticates them, checked per request (WindowsDeviceRequests).
        app.MapPost(Path, SessionAsync).AllowAnonymous().ExcludeFromDescription().ShortCircuit();

    private static async Task<IResult> SessionAsync(HttpContext http, WindowsDeviceRequests requests, SyncSessions sessions, DeviceSessions deviceSessions,
        IServiceProvider services, IOptions<WindowsOptions> options, TimeProvider clock, ILogger<WindowsDeviceRequests> logger)
    {
        var (request, refusal) = await requests.ReadAsync(http, SyncMessage.ContentType);
        if (refusal is not null) return refusal;
        var (body, enrollment, thumbprint) = request!;

        SyncMessage message;
        try
        {
            message = SyncMessage.Decode(body);
        }
        catch (SyncMlFormatException exception)
        {
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"The message is not valid SyncML: {exception.Message}", thumbprint, enrollment.DeviceId);
        }
        if (WindowsEnrollments.Check(enrollment, thumbprint, message.Header.SourceLocUri, clock.GetUtcNow()) is { } problem)
            return await requests.RefuseAsync(http, StatusCodes.Status403Forbidden, problem, thumbprint, enrollment.DeviceId);
        if (!int.TryParse(message.Header.MsgId, out var msgId) || msgId < 1)
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, $"MsgID '{message.Header.MsgId}' is not a positive number.", thumbprint, enrollment.DeviceId);

        var read = WindowsMessage.Read(message);
        SyncSession session;
        if (read.StartsSession)
        {
            session = sessions.Start(enrollment.Id, message.Header.SessionId, msgId);
        }
        else
        {
            var (continued, sessionProblem) = sessions.Continue(enrollment.Id, message.Header.SessionId, msgId);
            if (continued is null) return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest, sessionProblem!, thumbprint, enrollment.DeviceId);
            session = continued;
        }
        var deviceId = enrollment.DeviceId!.Value;
        if (thumbprint == enrollment.CertificateThumbprint && enrollment.PreviousCertificateThumbprint is not null)
            await services.GetRequiredService<WindowsEnrollments>().RetirePreviousCertificateAsync(enrollment.Id, http.RequestAborted);

        if (read.Unenrolls)
        {
            await services.GetRequiredService<WindowsEnrollments>().UnenrollAsync(enrollment.Id, http.RequestAborted);
            sessions.End(enrollment.Id);
            sessions.ForgetFacts(enrollment.Id);
            return Answer(message, session, enrollment.DeviceIdentifier, []);
        }
        if (read.PushChannelUri is { Length: > 0 } channelUri && channelUri != enrollment.PushChannelUri)
            await services.GetRequiredService<WindowsEnrollments>().SetPushChannelAsync(enrollment.Id, channelUri, http.RequestAborted);

        var facts = read.Facts is { } reported && sessions.FactsChanged(enrollment.Id, reported) ? reported : null;
        DeviceExchange<SyncCommand> exchange;
        try
        {
            exchange = await deviceSessions.ExchangeAsync(deviceId, read.StartsSession ? SessionStart.New : SessionStart.Continues, read.Reports,
                options.Value.MaxCommandsPerMessage, WindowsCommandEncoder.Instance, facts, http.RequestAborted);
        }
        catch
        {
            if (facts is not null) sessions.ForgetFacts(enrollment.Id); // not written: the next session tries again
            throw;
        }

        var unknown = read.UnknownRefs.Count + exchange.Reports.Count(o => o == ReportOutcome.UnknownCommand);
        if (unknown > 0 && unknown == read.UnknownRefs.Count + read.Reports.Count && exchange.Commands.Count == 0)
        {
            sessions.End(enrollment.Id);
            return await requests.RefuseAsync(http, StatusCodes.Status400BadRequest,
                "The message reports on commands this device was never sent (Status or Results with an unknown CmdRef).", thumbprint, enrollment.DeviceId);
        }
        if (unknown > 0)
            logger.LogWarning("A Windows device reported on {Count} command(s) it was never sent; the rest of its message was recorded.", unknown);

        List<SyncCommand> commands = [.. exchange.Commands];
        if (read.StartsSession && NeedsPushChannel(enrollment, options.Value))
            commands.Add(new SyncGet
            {
                CmdId = $"{WindowsMessage.PushChannelCmdIdPrefix}{session.ServerMsgId + 1}",
                Items = [new SyncItem { Target = $"./Vendor/MSFT/DMClient/Provider/{options.Value.ProviderId}/Push/ChannelURI" }],
            });
        var answer = Answer(message, session, enrollment.DeviceIdentifier, commands);
        if (commands.Count == 0) sessions.End(enrollment.Id); // nothing for the device to answer: the session ends here
        return answer;
    }

    // The channel URI is asked for in a session's first package until Latch has a live one (a new one revives a dead channel).
    private static bool NeedsPushChannel(Core.Enrollment.WindowsEnrollment enrollment, WindowsOptions options) =>
        options.PushPackageFamilyName is not null && (enrollment.PushChannelUri is null || enrollment.PushChannelDeadAt is not null);

    // MS-MDM §2.2.6.1: the Status of the SyncHdr first, then one Status per command of the device's message, in order.
    private static SyncMlBody Answer(SyncMessage received, SyncSession session, string deviceIdentifier, List<SyncCommand> commands)
    {
        int serverMsgId;
        lock (session) serverMsgId = ++session.ServerMsgId;
        var cmdId = 1;
        var body = new List<SyncCommand>(received.Commands.Count + commands.Count + 1)
        {
            new SyncStatus { CmdId = (cmdId++).ToString(), MsgRef = received.Header.MsgId, CmdRef = "0", Cmd = "SyncHdr", Data = "200" },
        };
        foreach (var command in received.Commands)
        {
            if (command is SyncStatus) continue; // a Status gets no Status
            body.Add(new SyncStatus { CmdId = (cmdId++).ToString(), MsgRef = received.Header.MsgId, CmdRef = command.CmdId, Cmd = command.Name, Data = "200" });
        }
        body.AddRange(commands);
        var answer = new SyncMessage
        {
            Header = new SyncHeader
            {
                SessionId = received.Header.SessionId, MsgId = serverMsgId.ToString(),
                TargetLocUri = deviceIdentifier, SourceLocUri = received.Header.TargetLocUri,
            },
            Commands = body,
            Final = true,
        };
        return new SyncMlBody(answer.Encode());
    }

    private sealed class SyncMlBody(byte[] xml) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.ContentType = SyncMessage.ContentType;
            http.Response.ContentLength = xml.Length;
            return http.Response.Body.WriteAsync(xml).AsTask();
        }
    }
}
