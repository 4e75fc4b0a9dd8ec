namespace Latch.Protocols.Apple;

// The device's PUT to the command endpoint (Content-Type application/x-apple-aspen-mdm): the result
// of the last command, or Idle to ask for the next one.
// https://developer.apple.com/documentation/devicemanagement/commands-and-queries
public sealed class CommandResponse
{
    public const string ContentType = "application/x-apple-aspen-mdm";

    private CommandResponse(PlistDict dict, ReadOnlyMemory<byte> raw)
    {
        Dict = dict;
        Raw = raw;
        UDID = dict.OptionalString("UDID");
        EnrollmentID = dict.OptionalString("EnrollmentID");
        if (UDID is null && EnrollmentID is null)
        {
            throw PlistFields.Missing("UDID", "<string>, or EnrollmentID for a user enrolment");
        }

        var status = dict.RequiredString("Status");
        Status = status switch
        {
            "Idle" => CommandResponseStatus.Idle,
            "Acknowledged" => CommandResponseStatus.Acknowledged,
            "Error" => CommandResponseStatus.Error,
            "CommandFormatError" => CommandResponseStatus.CommandFormatError,
            "NotNow" => CommandResponseStatus.NotNow,
            _ => throw new PlistFormatException($"Key 'Status' has unknown value '{status}'."),
        };
        CommandUUID = Status == CommandResponseStatus.Idle
            ? dict.OptionalString("CommandUUID")
            : dict.RequiredString("CommandUUID");
        ErrorChain = [.. (dict.OptionalArray("ErrorChain")?.Items ?? []).Select(ReadError)];
    }

    public string? UDID { get; }

    public string? EnrollmentID { get; }

    public string EnrollmentIdentifier => UDID ?? EnrollmentID!;

    public CommandResponseStatus Status { get; }

    // Null only for Idle.
    public string? CommandUUID { get; }

    public IReadOnlyList<CommandError> ErrorChain { get; }

    // The whole report, for command-specific keys such as QueryResponses.
    public PlistDict Dict { get; }

    public ReadOnlyMemory<byte> Raw { get; }

    public static CommandResponse Decode(ReadOnlyMemory<byte> raw) => new(Plist.ReadDict(raw), raw);

    private static CommandError ReadError(PlistValue item)
    {
        var dict = item as PlistDict ?? throw new PlistFormatException("Each ErrorChain item must be a <dict>.");
        return new CommandError(
            dict.RequiredInteger("ErrorCode"),
            dict.RequiredString("ErrorDomain"),
            dict.OptionalString("LocalizedDescription"),
            dict.OptionalString("USEnglishDescription"));
    }
}

public enum CommandResponseStatus
{
    Idle,
    Acknowledged,
    Error,
    CommandFormatError,
    NotNow,
}

// One ErrorChain entry; Apple lists the most specific error first.
public sealed record CommandError(long ErrorCode, string ErrorDomain, string? LocalizedDescription, string? USEnglishDescription);
