using System.Text.RegularExpressions;
using Latch.Protocols.Apple;

namespace Latch.Devices.Apple;

// How the simulated device answers each command, as the real OS does (SPEC §6, Apple's schema in
// vectors/apple/schema). Errors carry the simulator's own domain and codes, and every description
// starts "Simulated" so nobody mistakes them for a real device's.
public sealed partial class SimulatedAppleDevice
{
    public const string ErrorDomain = "LatchSimulatedMDMErrorDomain";

    // ErrorChain codes in ErrorDomain.
    public const long NoPasscodeSetErrorCode = 1;
    public const long InvalidUnlockTokenErrorCode = 2;
    public const long NotSupportedOnThisPlatformErrorCode = 3;

    // An unknown RequestType is answered Error (not CommandFormatError): the command is well formed,
    // the simulator just does not implement it.
    public const long UnsupportedCommandErrorCode = 4;

    // Decodes, logs, writes and executes one command; returns the report to send, or the reason the
    // answer is not a command at all (then there is no CommandUUID to report on, and the session ends).
    private async Task<(ReceivedCommand? Received, byte[]? Report, string? Problem)> HandleAsync(
        byte[] answer, CancellationToken cancellationToken)
    {
        string uuid, requestType;
        Outcome outcome;
        try
        {
            var command = MdmCommand.Decode(answer);
            (uuid, requestType) = (command.CommandUUID, command.RequestType);
            outcome = TakeNotNow(requestType) ? new Outcome(CommandResponseStatus.NotNow, "not now", []) : Execute(command);
        }
        catch (PlistFormatException ex)
        {
            // As a device does with a command it cannot parse: CommandFormatError, if it can tell which command.
            if (Salvage(answer) is not { } salvaged)
            {
                return (null, null, $"The server's answer is not a command: {ex.Message}");
            }

            (uuid, requestType) = salvaged;
            outcome = FormatError($"Simulated device: the command is malformed: {ex.Message}");
        }

        int sequence;
        ReceivedCommand received;
        lock (_state)
        {
            sequence = ++_sequence;
            received = new ReceivedCommand(sequence, uuid, requestType, outcome.Status, outcome.Detail, answer);
            _received.Add(received);
        }

        if (_options.CommandsDirectory is { } folder)
        {
            var name = $"{sequence:D4}-{SafeFileName(requestType)}-{SafeFileName(uuid)}.plist";
            await File.WriteAllBytesAsync(Path.Combine(folder, name), answer, cancellationToken);
        }

        return (received, Report(uuid, requestType, outcome), null);
    }

    private Outcome Execute(MdmCommand command) => command switch
    {
        DeviceLock deviceLock => Lock(deviceLock),
        ClearPasscode clear => Clear(clear),
        DeviceInformation information => Acknowledged(
            $"answered {information.Queries.Count} queries",
            ("QueryResponses", new PlistDict(Answers(information.Queries)))),
        SecurityInfo => Acknowledged("answered", ("SecurityInfo", SecurityInfoDict())),
        _ => Error(UnsupportedCommandErrorCode, $"Simulated device: the command '{command.RequestType}' is not supported by the simulator."),
    };

    // https://developer.apple.com/documentation/devicemanagement/lock-a-device (device.lock.yaml)
    private Outcome Lock(DeviceLock command)
    {
        if (Kind == AppleDeviceKind.Mac)
        {
            // A Mac locks behind a six-digit Find My PIN; without one there is nothing to unlock it with.
            if (command.PIN is not { } pin || !SixDigits().IsMatch(pin))
            {
                return FormatError("Simulated Mac: DeviceLock needs a six-digit PIN.");
            }

            _locked = true;
            (LockPin, LockMessage, LockPhoneNumber) = (pin, command.Message, command.PhoneNumber);
            return Acknowledged("locked with PIN");
        }

        var shows = command.Message is not null || command.PhoneNumber is not null;
        if (!PasscodeSet)
        {
            var error = Error(NoPasscodeSetErrorCode, "Simulated device: NoPasscodeSet. The device has no passcode, so it cannot be locked.");
            return shows ? error with { Keys = [new("MessageResult", new PlistString("NoPasscodeSet"))] } : error;
        }

        _locked = true;
        (LockMessage, LockPhoneNumber) = (command.Message, command.PhoneNumber);
        return shows ? Acknowledged("locked", ("MessageResult", new PlistString("Success"))) : Acknowledged("locked");
    }

    // https://developer.apple.com/documentation/devicemanagement/clear-the-passcode (passcode.clear.yaml)
    private Outcome Clear(ClearPasscode command)
    {
        if (Kind == AppleDeviceKind.Mac)
        {
            return Error(NotSupportedOnThisPlatformErrorCode, "Simulated Mac: ClearPasscode is not supported on macOS.");
        }

        if (UnlockToken is not { } token || !token.Span.SequenceEqual(command.UnlockToken.Span))
        {
            return Error(InvalidUnlockTokenErrorCode, "Simulated device: the unlock token is not valid for this device.");
        }

        PasscodeSet = false;
        return Acknowledged("passcode cleared");
    }

    // Asked queries in their order; ones this device does not know are left out, as real devices do.
    private IEnumerable<KeyValuePair<string, PlistValue>> Answers(IEnumerable<string> queries)
    {
        var ios = IsIosFamily;
        var known = new Dictionary<string, PlistValue?>(StringComparer.Ordinal)
        {
            ["UDID"] = new PlistString(Udid),
            ["DeviceName"] = new PlistString(DeviceName),
            ["OSVersion"] = new PlistString(OSVersion),
            ["BuildVersion"] = new PlistString(BuildVersion),
            ["ModelName"] = new PlistString(ModelName),
            ["Model"] = new PlistString(Model),
            ["ProductName"] = new PlistString(ProductName),
            ["SerialNumber"] = new PlistString(SerialNumber),
            ["IMEI"] = Imei is null ? null : new PlistString(Imei),
            ["IsSupervised"] = new PlistBoolean(IsSupervised),
            ["AwaitingConfiguration"] = PlistBoolean.False,
            ["DeviceCapacity"] = new PlistReal(256),
            ["AvailableDeviceCapacity"] = new PlistReal(171.5),
            ["IsActivationLockEnabled"] = PlistBoolean.False,
            ["BatteryLevel"] = ios ? new PlistReal(0.8) : null,
            ["IsMDMLostModeEnabled"] = ios ? PlistBoolean.False : null,
            ["IsDeviceLocatorServiceEnabled"] = ios ? PlistBoolean.False : null,
            ["IsMultiUser"] = ios ? PlistBoolean.False : null,
            ["IsAppleSilicon"] = ios ? null : PlistBoolean.True,
            ["HostName"] = ios ? null : new PlistString($"{SerialNumber.ToLowerInvariant()}.local"),
            ["LocalHostName"] = ios ? null : new PlistString(SerialNumber.ToLowerInvariant()),
        };
        foreach (var query in queries.Distinct(StringComparer.Ordinal))
        {
            if (known.TryGetValue(query, out var value) && value is not null)
            {
                yield return new(query, value);
            }
        }
    }

    // https://developer.apple.com/documentation/devicemanagement/get-security-information
    private PlistDict SecurityInfoDict()
    {
        var entries = new List<KeyValuePair<string, PlistValue>>
        {
            // Block-level and file-level encryption (1 | 2), as on every current device.
            new("HardwareEncryptionCaps", new PlistInteger(3)),
            new("PasscodeCompliant", PlistBoolean.True),
            new("PasscodeCompliantWithProfiles", PlistBoolean.True),
            new("PasscodePresent", new PlistBoolean(PasscodeSet)),
        };
        if (!IsIosFamily)
        {
            entries.Add(new("FDE_Enabled", PlistBoolean.True));
            entries.Add(new("SystemIntegrityProtectionEnabled", PlistBoolean.True));
        }

        return new PlistDict(entries);
    }

    private bool TakeNotNow(string requestType)
    {
        lock (_state)
        {
            if (_notNow is not { } rule || (rule.RequestType is { } accepts && !accepts(requestType)))
            {
                return false;
            }

            _notNow = rule.Remaining > 1 ? (rule.Remaining - 1, rule.RequestType) : null;
            return true;
        }
    }

    private byte[] Report(string commandUUID, string requestType, Outcome outcome)
    {
        var entries = new List<KeyValuePair<string, PlistValue>>
        {
            new("CommandUUID", new PlistString(commandUUID)),
            new("Status", new PlistString(outcome.Status.ToString())),
            new("UDID", new PlistString(Udid)),
        };
        if (outcome.ErrorChain is { } chain)
        {
            entries.Add(new("ErrorChain", new PlistArray([chain])));
        }

        if (outcome.Keys.Count > 0)
        {
            // Query answers name their request type, as in Apple's examples.
            entries.Add(new("RequestType", new PlistString(requestType)));
            entries.AddRange(outcome.Keys);
        }

        return Write(entries);
    }

    private static (string CommandUUID, string RequestType)? Salvage(byte[] answer)
    {
        try
        {
            var dict = Plist.ReadDict(answer);
            if (!dict.TryGetValue("CommandUUID", out var uuid) || uuid is not PlistString { Value.Length: > 0 } id)
            {
                return null;
            }

            var requestType = dict.TryGetValue("Command", out var command) && command is PlistDict c
                && c.TryGetValue("RequestType", out var type) && type is PlistString { Value.Length: > 0 } t
                    ? t.Value
                    : "Unknown";
            return (id.Value, requestType);
        }
        catch (PlistFormatException)
        {
            return null;
        }
    }

    // The server chooses these strings; keep them to one safe file-name segment.
    private static string SafeFileName(string value)
    {
        var safe = new string([.. value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return safe.Length > 100 ? safe[..100] : safe;
    }

    private static Outcome Acknowledged(string detail, params (string Key, PlistValue Value)[] keys) =>
        new(CommandResponseStatus.Acknowledged, detail, [.. keys.Select(k => new KeyValuePair<string, PlistValue>(k.Key, k.Value))]);

    private static Outcome FormatError(string description) => new(CommandResponseStatus.CommandFormatError, description, []);

    private static Outcome Error(long code, string description) =>
        new(CommandResponseStatus.Error, description, [])
        {
            ErrorChain = new PlistDict(
            [
                new("ErrorCode", new PlistInteger(code)),
                new("ErrorDomain", new PlistString(ErrorDomain)),
                new("LocalizedDescription", new PlistString(description)),
                new("USEnglishDescription", new PlistString(description)),
            ]),
        };

    [GeneratedRegex("^[0-9]{6}$")]
    private static partial Regex SixDigits();

    private sealed record Outcome(CommandResponseStatus Status, string Detail, IReadOnlyList<KeyValuePair<string, PlistValue>> Keys)
    {
        public PlistDict? ErrorChain { get; init; }
    }
}
