using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Sessions;
using Latch.Protocols.Apple;
using Latch.Server.Apple.Enrollment;

namespace Latch.Server.Apple.Mdm;

/// <summary>An Apple device's response to a command as Latch's neutral report, with the facts its query answers carry.</summary>
public static class AppleReports
{
    /// <summary>The report, or null when the CommandUUID is not a command id Latch could have issued. Not for Idle.</summary>
    public static DeviceReport? ToDeviceReport(CommandResponse response, ILogger logger)
    {
        if (!Guid.TryParse(response.CommandUUID, out var commandId)) return null;
        var report = response.Status switch
        {
            CommandResponseStatus.Acknowledged => CommandReport.Acknowledged,
            CommandResponseStatus.NotNow => CommandReport.NotNow,
            CommandResponseStatus.CommandFormatError => CommandReport.Failed("The device could not read the command (CommandFormatError)."),
            _ => CommandReport.Failed(DescribeErrors(response.ErrorChain)),
        };
        return new DeviceReport(commandId, report) { Facts = response.Status == CommandResponseStatus.Acknowledged ? FactsOf(response, logger) : null };
    }

    // Facts from a query's answer. A malformed answer is logged and left out: the report itself is still recorded.
    private static DeviceFacts? FactsOf(CommandResponse response, ILogger logger)
    {
        try
        {
            if (DeviceInformationAnswer.Read(response) is { } information)
                return new DeviceFacts
                {
                    Name = information.DeviceName,
                    OsVersion = OsVersion.TryParse(information.OSVersion, out var version) ? version : null,
                    Platform = information.ProductName is { } product ? AppleEnrollments.PlatformOf(product, information.Model) : null,
                    Model = information.ProductName ?? information.ModelName, // "iPhone15,4" says more than "iPhone"
                    SerialNumber = information.SerialNumber,
                    Imei = information.IMEI,
                    Supervised = information.IsSupervised,
                };
            if (SecurityInfoAnswer.Read(response) is { } security)
                return new DeviceFacts { PasscodeSet = security.PasscodePresent };
        }
        catch (PlistFormatException exception)
        {
            logger.LogWarning("An Apple device answered {CommandUUID} with keys of the wrong type: {Problem}", response.CommandUUID, exception.Message);
        }
        return null;
    }

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
