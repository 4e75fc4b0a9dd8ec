namespace Latch.Devices.Windows;

/// <summary>The Windows platforms the simulator plays: one per SPEC row.</summary>
public enum WindowsDeviceKind
{
    Windows10Mobile,
    Windows10Desktop,
    WindowsPhone81,
    WindowsRT,
    Windows81,
}

/// <summary>What each kind says about itself: in MS-MDE2 enrolment (DeviceType, OSEdition, RequestVersion) and in DevDetail.</summary>
internal sealed record WindowsHardware(string OsVersion, string? OsEdition, string DeviceType, string RequestVersion, string OsPlatform,
    string Manufacturer, string Model)
{
    // OSEdition is the Windows product type number: 104 Mobile, 48 Pro, 4 Enterprise, 97 RT (Core ARM).
    public static WindowsHardware For(WindowsDeviceKind kind) => kind switch
    {
        WindowsDeviceKind.Windows10Mobile => new("10.0.15063.0", "104", "WindowsPhone", "3.0", "Windows 10 Mobile", "Microsoft", "Lumia 950"),
        WindowsDeviceKind.Windows10Desktop => new("10.0.19045.0", "48", "CIMClient_Windows", "4.0", "Windows 10 Pro", "Microsoft", "Surface Laptop 3"),
        // Windows Phone 8.1 and Windows 8.1 / RT predate MS-MDE2 3.0 and send no OSEdition at discovery.
        WindowsDeviceKind.WindowsPhone81 => new("8.10.14219.341", null, "WindowsPhone", "2.0", "Windows Phone 8.1", "Nokia", "Lumia 930"),
        WindowsDeviceKind.WindowsRT => new("6.3.9600.17031", "97", "CIMClient_Windows", "2.0", "Windows RT 8.1", "Microsoft", "Surface 2"),
        WindowsDeviceKind.Windows81 => new("6.3.9600.17031", "4", "CIMClient_Windows", "2.0", "Windows 8.1 Enterprise", "Lenovo", "ThinkPad X240"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown Windows device kind."),
    };
}
