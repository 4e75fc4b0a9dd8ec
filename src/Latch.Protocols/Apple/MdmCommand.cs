namespace Latch.Protocols.Apple;

// A server → device command body: { Command = { RequestType = ..., ... }, CommandUUID = ... }.
// https://developer.apple.com/documentation/devicemanagement/commands-and-queries
public abstract class MdmCommand
{
    private protected MdmCommand(string commandUUID)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandUUID);
        CommandUUID = commandUUID;
    }

    public string CommandUUID { get; }

    public abstract string RequestType { get; }

    // The bytes it was decoded from; empty for a command built here.
    public ReadOnlyMemory<byte> Raw { get; internal init; }

    public PlistDict ToPlist()
    {
        var command = new List<KeyValuePair<string, PlistValue>> { new("RequestType", new PlistString(RequestType)) };
        command.AddRange(CommandKeys());
        return new PlistDict(
        [
            new("Command", new PlistDict(command)),
            new("CommandUUID", new PlistString(CommandUUID)),
        ]);
    }

    public byte[] Encode() => Plist.Write(ToPlist());

    // Known request types decode to their own class, any other to GenericCommand.
    public static MdmCommand Decode(ReadOnlyMemory<byte> raw)
    {
        var dict = Plist.ReadDict(raw);
        var uuid = dict.RequiredString("CommandUUID");
        if (uuid.Length == 0)
        {
            throw new PlistFormatException("Key 'CommandUUID' is empty.");
        }

        var command = dict.RequiredDict("Command");
        return command.RequiredString("RequestType") switch
        {
            "DeviceLock" => new DeviceLock(uuid)
            {
                Message = command.OptionalString("Message"),
                PhoneNumber = command.OptionalString("PhoneNumber"),
                PIN = command.OptionalString("PIN"),
                Raw = raw,
            },
            "ClearPasscode" => new ClearPasscode(uuid, command.RequiredData("UnlockToken")) { Raw = raw },
            "DeviceInformation" => new DeviceInformation(uuid, ReadQueries(command)) { Raw = raw },
            "SecurityInfo" => new SecurityInfo(uuid) { Raw = raw },
            _ => new GenericCommand(uuid, command) { Raw = raw },
        };
    }

    // The keys under Command after RequestType.
    private protected abstract IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys();

    private static IEnumerable<string> ReadQueries(PlistDict command) =>
        (command.OptionalArray("Queries") ?? throw PlistFields.Missing("Queries", "<array>")).Items
            .Select(q => q is PlistString s ? s.Value : throw new PlistFormatException("Each 'Queries' item must be a <string>."));
}

// https://developer.apple.com/documentation/devicemanagement/lock-a-device (schema: device.lock.yaml)
public sealed class DeviceLock(string commandUUID) : MdmCommand(commandUUID)
{
    public override string RequestType => "DeviceLock";

    public string? Message { get; init; }

    public string? PhoneNumber { get; init; }

    // The six-character Find My PIN; macOS only.
    public string? PIN { get; init; }

    private protected override IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys()
    {
        if (Message is not null)
        {
            yield return new("Message", new PlistString(Message));
        }

        if (PhoneNumber is not null)
        {
            yield return new("PhoneNumber", new PlistString(PhoneNumber));
        }

        if (PIN is not null)
        {
            yield return new("PIN", new PlistString(PIN));
        }
    }
}

// https://developer.apple.com/documentation/devicemanagement/clear-the-passcode (schema: passcode.clear.yaml)
public sealed class ClearPasscode : MdmCommand
{
    public ClearPasscode(string commandUUID, ReadOnlyMemory<byte> unlockToken)
        : base(commandUUID)
    {
        if (unlockToken.IsEmpty)
        {
            throw new ArgumentException("ClearPasscode needs the device's UnlockToken.", nameof(unlockToken));
        }

        UnlockToken = unlockToken;
    }

    public override string RequestType => "ClearPasscode";

    // From the device's TokenUpdate check-in.
    public ReadOnlyMemory<byte> UnlockToken { get; }

    private protected override IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys()
    {
        yield return new("UnlockToken", new PlistData(UnlockToken));
    }
}

// https://developer.apple.com/documentation/devicemanagement/get-device-information
public sealed class DeviceInformation : MdmCommand
{
    public DeviceInformation(string commandUUID, IEnumerable<string> queries)
        : base(commandUUID)
    {
        ArgumentNullException.ThrowIfNull(queries);
        Queries = [.. queries];
    }

    public override string RequestType => "DeviceInformation";

    public IReadOnlyList<string> Queries { get; }

    private protected override IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys()
    {
        yield return new("Queries", new PlistArray(Queries.Select(q => new PlistString(q))));
    }
}

// https://developer.apple.com/documentation/devicemanagement/get-security-information
public sealed class SecurityInfo(string commandUUID) : MdmCommand(commandUUID)
{
    public override string RequestType => "SecurityInfo";

    private protected override IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys() => [];
}

// Any other request type, carried as its Command dict (which includes RequestType).
public sealed class GenericCommand : MdmCommand
{
    public GenericCommand(string commandUUID, PlistDict command)
        : base(commandUUID)
    {
        ArgumentNullException.ThrowIfNull(command);
        RequestType = command.RequiredString("RequestType");
        Command = command;
    }

    public override string RequestType { get; }

    public PlistDict Command { get; }

    private protected override IEnumerable<KeyValuePair<string, PlistValue>> CommandKeys() =>
        Command.Entries.Where(e => e.Key != "RequestType");
}
