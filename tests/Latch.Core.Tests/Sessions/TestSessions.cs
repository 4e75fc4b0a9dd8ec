using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Sessions;
using Latch.Core.Tests.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Core.Tests.Sessions;

/// <summary>A channel's encoder for tests: every command goes out as it is.</summary>
public sealed class SentAsIs : ICommandEncoder<Command>
{
    public static readonly SentAsIs Instance = new();

    public CommandEncoding<Command> Encode(Command command, DeviceAction? action) => CommandEncoding.Send(command);
}

/// <summary>A channel that cannot run commands of one type.</summary>
public sealed class CannotRun(string type, string why) : ICommandEncoder<Command>
{
    public CommandEncoding<Command> Encode(Command command, DeviceAction? action) =>
        command.Type == type ? CommandEncoding.Refuse<Command>(why) : CommandEncoding.Send(command);
}

/// <summary>A device's requests as a channel makes them: through <see cref="DeviceSessions"/>, the production path.</summary>
public static class TestSessions
{
    public static DeviceSessions Sessions(this LatchTestHost host) => host.Services.GetRequiredService<DeviceSessions>();

    /// <summary>The device asks for its next command (a new session, or within one).</summary>
    public static async Task<Command?> NextAsync(this LatchTestHost host, Guid device, bool newSession = true) =>
        (await host.Sessions().ExchangeAsync(device, newSession ? SessionStart.New : SessionStart.Continues, [], 1, SentAsIs.Instance))
        .Commands.SingleOrDefault();

    /// <summary>The device reports on a command and takes nothing new.</summary>
    public static async Task<ReportOutcome> ReportAsync(this LatchTestHost host, Guid device, Guid command, CommandReport report) =>
        (await host.Sessions().ExchangeAsync(device, SessionStart.Continues, [new DeviceReport(command, report)], 0, SentAsIs.Instance))
        .Reports.Single();
}
