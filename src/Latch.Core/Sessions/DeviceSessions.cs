using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Core.Sessions;

/// <summary>Whether a device's message starts a new session (Apple: Idle; SyncML: a session's first package) or goes on with one.</summary>
public enum SessionStart
{
    /// <summary>The device reports within a session: commands it put off with NotNow wait for its next session.</summary>
    Continues,

    /// <summary>A new session: commands the device put off with NotNow are offered again.</summary>
    New,
}

/// <summary>What one device request recorded and what it hands back.</summary>
/// <param name="Reports">Each report's outcome, in the order given.</param>
/// <param name="Commands">The commands to send, next first, each claimed (sent) and its action active.</param>
public sealed record DeviceExchange<TWire>(IReadOnlyList<ReportOutcome> Reports, IReadOnlyList<TWire> Commands);

/// <summary>
/// The device side of every channel: what a device endpoint calls once per device request, after it has checked who
/// sent the request and decoded it, and before it encodes the answer. The device's reports in, its next commands out,
/// in one operation of the single writer (<see cref="WriteBatcher"/>): the reads run there too, on the writer's
/// connection, whose cache its own commits keep warm, and the answer goes out only once that operation is durable.
/// Most requests are a device saying it is idle with nothing to do: those are answered from memory
/// (<see cref="QuietDevices"/>), without a read or a place in a batch.
/// </summary>
public sealed class DeviceSessions(WriteBatcher batcher, QuietDevices quiet, CheckInRecorder checkIns)
{
    /// <param name="reports">The device's reports on its commands (a SyncML message carries several; an Apple one at most one).</param>
    /// <param name="maxCommands">How many commands the device takes in this answer (Apple: 1); 0 for none.</param>
    /// <param name="encoder">Turns each command into the channel's wire command before it is claimed (see <see cref="ICommandEncoder{TWire}"/>).</param>
    /// <param name="facts">
    /// Facts the device sent with the message itself rather than in a report (a SyncML session's DevInfo and LoginStatus),
    /// applied first, in the same operation, so the commands handed out are judged on them. Pass them only when they
    /// changed since the channel last passed them: a message with facts always takes a place in a batch.
    /// </param>
    public async Task<DeviceExchange<TWire>> ExchangeAsync<TWire>(Guid deviceId, SessionStart start, IReadOnlyList<DeviceReport> reports,
        int maxCommands, ICommandEncoder<TWire> encoder, DeviceFacts? facts = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCommands);
        checkIns.Record(deviceId);
        var newSession = start == SessionStart.New;
        if (facts is null && reports.Count == 0 && (maxCommands == 0 || (newSession && quiet.IsQuiet(deviceId))))
            return new DeviceExchange<TWire>([], []);

        var quietSince = quiet.Version; // read before the queue is: see QuietDevices.Remember
        var (exchange, nothingOpen) = await batcher.RunAsync(async (services, token) =>
        {
            var actions = services.GetRequiredService<DeviceActions>();
            if (facts is not null) await actions.ApplyFactsAsync(deviceId, facts, token);
            return await ExchangeInBatchAsync(actions, deviceId, newSession, reports, maxCommands, encoder, token);
        }, cancellationToken);
        if (nothingOpen) quiet.Remember(deviceId, quietSince);
        return exchange;
    }

    // Everything here is read inside the operation, so a batch that is rolled back and run again starts from the database.
    private static async Task<(DeviceExchange<TWire> Exchange, bool NothingOpen)> ExchangeInBatchAsync<TWire>(DeviceActions actions,
        Guid deviceId, bool newSession, IReadOnlyList<DeviceReport> reports, int maxCommands, ICommandEncoder<TWire> encoder,
        CancellationToken cancellationToken)
    {
        var outcomes = new ReportOutcome[reports.Count];
        var deliver = maxCommands > 0;
        var nothingOpen = false;
        for (var i = 0; i < reports.Count; i++)
        {
            var (outcome, reported) = await actions.RecordReportAsync(deviceId, reports[i], cancellationToken);
            outcomes[i] = outcome;
            // One report and nothing else waiting: the session ends here (a command queued meanwhile wakes the device for a
            // new session). With nothing open at all once this report closed its command, the next Idle is answered from memory.
            if (reports.Count == 1 && reported is { OthersWaiting: false })
            {
                deliver = false;
                nothingOpen = !reported.OthersOpen && reports[i].Report.Kind != CommandReportKind.NotNow;
            }
        }
        // A request whose every report names a command that is not the device's is refused by its channel: it gets nothing.
        if (reports.Count > 0 && outcomes.All(o => o == ReportOutcome.UnknownCommand)) deliver = false;
        if (!deliver) return (new DeviceExchange<TWire>(outcomes, []), nothingOpen);

        var (commands, queueEmpty) = await actions.DeliverAsync(deviceId, newSession, maxCommands, encoder, cancellationToken);
        return (new DeviceExchange<TWire>(outcomes, commands), queueEmpty && newSession);
    }
}
