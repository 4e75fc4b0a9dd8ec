namespace Latch.Protocols.Apple;

// The answers to the two queries Latch sends, read from an Acknowledged response. Each is null when the response does not
// carry it; a key of the wrong type is a PlistFormatException naming it.
// https://developer.apple.com/documentation/devicemanagement/deviceinformationresponse/queryresponses
public sealed record DeviceInformationAnswer(
    string? DeviceName,
    string? OSVersion,
    string? BuildVersion,
    string? ProductName,
    string? Model,
    string? ModelName,
    string? SerialNumber,
    string? IMEI,
    bool? IsSupervised)
{
    // The queries asked for (DeviceInformation's Queries), so the answer covers every field above.
    public static readonly IReadOnlyList<string> Queries =
        ["DeviceName", "OSVersion", "BuildVersion", "ProductName", "Model", "ModelName", "SerialNumber", "IMEI", "IsSupervised"];

    public static DeviceInformationAnswer? Read(CommandResponse response)
    {
        var answers = response.Dict.Optional<PlistDict>("QueryResponses", "<dict>");
        return answers is null
            ? null
            : new DeviceInformationAnswer(
                answers.OptionalString("DeviceName"),
                answers.OptionalString("OSVersion"),
                answers.OptionalString("BuildVersion"),
                answers.OptionalString("ProductName"),
                answers.OptionalString("Model"),
                answers.OptionalString("ModelName"),
                answers.OptionalString("SerialNumber"),
                answers.OptionalString("IMEI"),
                answers.OptionalBoolean("IsSupervised"));
    }
}

// https://developer.apple.com/documentation/devicemanagement/securityinforesponse/securityinfo
public sealed record SecurityInfoAnswer(bool? PasscodePresent)
{
    public static SecurityInfoAnswer? Read(CommandResponse response)
    {
        var info = response.Dict.Optional<PlistDict>("SecurityInfo", "<dict>");
        return info is null ? null : new SecurityInfoAnswer(info.OptionalBoolean("PasscodePresent"));
    }
}
