namespace Latch.Devices.Windows;

public sealed record SimulatedWindowsDeviceOptions
{
    public WindowsDeviceKind Kind { get; init; } = WindowsDeviceKind.Windows10Mobile;

    /// <summary>Default: the kind's (Windows 10 Mobile 10.0.15063.0, the Creators Update).</summary>
    public string? OsVersion { get; init; }

    /// <summary>The enrolment is an Azure AD join (AdditionalContext EnrollmentType "Device" rather than "Full").</summary>
    public bool AzureAdJoined { get; init; }

    /// <summary>A PIN is set: without one RemoteLock/Lock answers 405.</summary>
    public bool PinSet { get; init; } = true;

    public string? DeviceName { get; init; }

    /// <summary>What DevInfo Man / Mod answer; default the kind's.</summary>
    public string? Manufacturer { get; init; }

    public string? Model { get; init; }

    /// <summary>The DeviceID the device enrols with and names in every session (32 hex digits); default random.</summary>
    public string? DeviceId { get; init; }

    /// <summary>HWDevID; default random. The same hardware enrolling again sends the same one.</summary>
    public string? HardwareId { get; init; }

    /// <summary>Who is signed in, as Alert 1224 LoginStatus says: "user" (the enrolling user), "others" or "none".</summary>
    public string SignedIn { get; init; } = "user";

    /// <summary>EC P-256 instead of RSA-2048 for the device key: for load tests with thousands of devices.</summary>
    public bool EcdsaKey { get; init; }

    /// <summary>The CA the enrolment server's TLS certificate must chain to; null: any certificate (tests, demo on loopback).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? EnrollmentServerRoot { get; init; }

    /// <summary>Most packages in one session before the device gives up on it (a server that never stops sending).</summary>
    public int MaxPackagesPerSession { get; init; } = 20;
}
