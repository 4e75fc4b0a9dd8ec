namespace Latch.Protocols.Apple;

// A check-in request body (Content-Type application/x-apple-aspen-mdm-checkin).
// https://developer.apple.com/documentation/devicemanagement/check-in
public abstract class CheckinMessage
{
    public const string ContentType = "application/x-apple-aspen-mdm-checkin";

    private protected CheckinMessage(PlistDict dict, ReadOnlyMemory<byte> raw)
    {
        Dict = dict;
        Raw = raw;
        MessageType = dict.RequiredString("MessageType");
        UDID = dict.OptionalString("UDID");
        EnrollmentID = dict.OptionalString("EnrollmentID");
        Topic = dict.OptionalString("Topic");
        if (UDID is null && EnrollmentID is null)
        {
            throw PlistFields.Missing("UDID", "<string>, or EnrollmentID for a user enrolment");
        }
    }

    public string MessageType { get; }

    // Device enrolments send UDID; user enrolments send EnrollmentID instead.
    public string? UDID { get; }

    public string? EnrollmentID { get; }

    public string EnrollmentIdentifier => UDID ?? EnrollmentID!;

    public string? Topic { get; }

    // The whole message, for keys not modelled here (UserID, Challenge, ...).
    public PlistDict Dict { get; }

    public ReadOnlyMemory<byte> Raw { get; }

    public static CheckinMessage Decode(ReadOnlyMemory<byte> raw)
    {
        var dict = Plist.ReadDict(raw);
        return dict.RequiredString("MessageType") switch
        {
            "Authenticate" => new Authenticate(dict, raw),
            "TokenUpdate" => new TokenUpdate(dict, raw),
            "CheckOut" => new CheckOut(dict, raw),
            _ => new OtherCheckin(dict, raw),
        };
    }
}

// https://developer.apple.com/documentation/devicemanagement/authenticaterequest
public sealed class Authenticate : CheckinMessage
{
    internal Authenticate(PlistDict dict, ReadOnlyMemory<byte> raw)
        : base(dict, raw)
    {
        _ = dict.RequiredString("Topic");
        OSVersion = dict.OptionalString("OSVersion");
        BuildVersion = dict.OptionalString("BuildVersion");
        ProductName = dict.OptionalString("ProductName");
        SerialNumber = dict.OptionalString("SerialNumber");
        IMEI = dict.OptionalString("IMEI");
        MEID = dict.OptionalString("MEID");
        DeviceName = dict.OptionalString("DeviceName");
        Model = dict.OptionalString("Model");
        ModelName = dict.OptionalString("ModelName");
    }

    public new string Topic => base.Topic!;

    public string? OSVersion { get; }

    public string? BuildVersion { get; }

    public string? ProductName { get; }

    public string? SerialNumber { get; }

    public string? IMEI { get; }

    public string? MEID { get; }

    public string? DeviceName { get; }

    public string? Model { get; }

    public string? ModelName { get; }
}

// https://developer.apple.com/documentation/devicemanagement/tokenupdaterequest
public sealed class TokenUpdate : CheckinMessage
{
    internal TokenUpdate(PlistDict dict, ReadOnlyMemory<byte> raw)
        : base(dict, raw)
    {
        _ = dict.RequiredString("Topic");
        PushMagic = dict.RequiredString("PushMagic");
        Token = dict.RequiredData("Token");
        UnlockToken = dict.OptionalData("UnlockToken");
        AwaitingConfiguration = dict.OptionalBoolean("AwaitingConfiguration") ?? false;
    }

    public new string Topic => base.Topic!;

    // The APNs device token.
    public ReadOnlyMemory<byte> Token { get; }

    public string PushMagic { get; }

    // Only iOS-family device channels send it, and it is what ClearPasscode needs.
    public ReadOnlyMemory<byte>? UnlockToken { get; }

    public bool AwaitingConfiguration { get; }
}

// https://developer.apple.com/documentation/devicemanagement/checkoutrequest
public sealed class CheckOut : CheckinMessage
{
    internal CheckOut(PlistDict dict, ReadOnlyMemory<byte> raw)
        : base(dict, raw)
    {
    }
}

// Any other MessageType (UserAuthenticate, GetBootstrapToken, DeclarativeManagement, ...), kept
// whole so the server can answer it as Apple documents for that type.
public sealed class OtherCheckin : CheckinMessage
{
    internal OtherCheckin(PlistDict dict, ReadOnlyMemory<byte> raw)
        : base(dict, raw)
    {
    }
}
