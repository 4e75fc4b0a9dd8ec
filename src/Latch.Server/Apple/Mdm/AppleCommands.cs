using Latch.Core.Commands;
using Latch.Core.Enrollment;
using Latch.Protocols.Apple;

namespace Latch.Server.Apple.Mdm;

/// <summary>Latch's channel-neutral commands as Apple MDM commands; the CommandUUID is the command's id.</summary>
public static class AppleCommands
{
    /// <summary>The Apple command for a queued command, or null when there is none to send (see <see cref="WhyNot"/>).</summary>
    /// <param name="unlockTokenOf">The enrolment's unlock token, decrypted; asked only for a ClearPasscode.</param>
    public static MdmCommand? ToAppleCommand(Command command, AppleEnrollment enrollment, Func<AppleEnrollment, byte[]?> unlockTokenOf)
    {
        var uuid = command.Id.ToString("D").ToUpperInvariant();
        return command.Type switch
        {
            CommandTypes.RemoteLock => new DeviceLock(uuid),
            // The token is decrypted only here, for the command being sent, and never logged.
            CommandTypes.ResetPasscode => unlockTokenOf(enrollment) is { } unlockToken ? new ClearPasscode(uuid, unlockToken) : null,
            CommandTypes.QueryDeviceInformation => new DeviceInformation(uuid, AppleEnrollments.InformationQueries),
            CommandTypes.QuerySecurityInfo => new SecurityInfo(uuid),
            _ => null,
        };
    }

    public static string WhyNot(Command command) => command.Type == CommandTypes.ResetPasscode
        ? "The device has no unlock token on record, and iOS clears a passcode only with it."
        : $"'{command.Type}' is not a command Apple devices run.";

    /// <summary>The device's ErrorChain as one sentence for the action's outcome (most specific error first, as Apple lists them).</summary>
    public static string DescribeErrors(IReadOnlyList<CommandError> chain)
    {
        if (chain.Count == 0) return "The device reported an error without details.";
        var text = string.Join(" ← ", chain.Select(e =>
            $"{e.USEnglishDescription ?? e.LocalizedDescription ?? "error"} ({e.ErrorDomain} {e.ErrorCode})"));
        return chain.Any(e => $"{e.USEnglishDescription} {e.LocalizedDescription}".Contains("NoPasscodeSet", StringComparison.OrdinalIgnoreCase))
            ? $"The device has no passcode set (NoPasscodeSet), so it was not locked. Device said: {text}"
            : $"The device reported: {text}";
    }
}
