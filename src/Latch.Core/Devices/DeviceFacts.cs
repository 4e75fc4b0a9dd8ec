namespace Latch.Core.Devices;

/// <summary>
/// What a device reported about itself, whatever its channel (Apple's DeviceInformation and SecurityInfo answers,
/// a SyncML Results, an Android agent's status). A fact left null was not reported and stays as it is: the rules
/// (SPEC §2–4) decide on the newest facts each device gave.
/// </summary>
public sealed record DeviceFacts
{
    public string? Name { get; init; }
    public Platform? Platform { get; init; }
    public OsVersion? OsVersion { get; init; }
    public string? Manufacturer { get; init; }
    public string? Model { get; init; }
    public string? SerialNumber { get; init; }
    public string? Imei { get; init; }
    public bool? Supervised { get; init; }
    public bool? PasscodeSet { get; init; }
    public bool? AzureAdJoined { get; init; }

    /// <summary>Who is signed in, as far as the device says (Windows: Alert 1224 LoginStatus).</summary>
    public SignedIn? SignedIn { get; init; }

    public void ApplyTo(Device device)
    {
        if (Name is { Length: > 0 } name) device.Name = name;
        if (Platform is { } platform) device.Platform = platform;
        if (OsVersion is { } version) device.OsVersion = version;
        device.Manufacturer = Manufacturer ?? device.Manufacturer;
        device.Model = Model ?? device.Model;
        device.SerialNumber = SerialNumber ?? device.SerialNumber;
        device.Imei = Imei ?? device.Imei;
        device.Supervised = Supervised ?? device.Supervised;
        device.PasscodeSet = PasscodeSet ?? device.PasscodeSet;
        device.AzureAdJoined = AzureAdJoined ?? device.AzureAdJoined;
        switch (SignedIn)
        {
            case Devices.SignedIn.Nobody:
                (device.CurrentUserId, device.OtherUserSignedIn) = (null, false);
                break;
            case Devices.SignedIn.EnrollingUser:
                (device.CurrentUserId, device.OtherUserSignedIn) = (device.EnrolledByUserId, false);
                break;
            case Devices.SignedIn.AnotherUser:
                (device.CurrentUserId, device.OtherUserSignedIn) = (null, true);
                break;
        }
    }
}

/// <summary>Who is signed in on a device that says only whether it is the user who enrolled it.</summary>
public enum SignedIn
{
    Nobody,
    EnrollingUser,
    AnotherUser,
}
