namespace Latch.Devices.Apple;

// What makes one simulated device differ from another; anything left null gets a plausible value.
public sealed class SimulatedAppleDeviceOptions
{
    public string? DeviceName { get; init; }

    // Default per kind: iOS / iPadOS 17.5.1 (21F90), macOS 14.5 (23F79).
    public string? OSVersion { get; init; }

    public string? BuildVersion { get; init; }

    public string? SerialNumber { get; init; }

    public string? Udid { get; init; }

    // iPhone / iPad: a device passcode; Mac: a login password. DeviceLock on iOS needs one.
    public bool PasscodeSet { get; init; } = true;

    public bool Supervised { get; init; }

    // When set, every received command body is written there as {sequence:D4}-{RequestType}-{CommandUUID}.plist.
    public string? CommandsDirectory { get; init; }

    // A server that never answers with an empty body cannot keep the device in one session forever.
    public int MaxCommandsPerSession { get; init; } = 1000;
}
