using Latch.Core.Devices;

namespace Latch.Server.Windows.Enrollment;

/// <summary>
/// Which of the SPEC's five Windows rows a device is, from what it says at enrolment (MS-MDE2 AdditionalContext:
/// OSVersion, OSEdition, DeviceType) and in its DevDetail answers (SwV, Ext/Microsoft/OSPlatform).
/// </summary>
public static class WindowsPlatforms
{
    // Windows product types (GetProductInfo, the number OSEdition carries): 0x61 PRODUCT_CORE_ARM is Windows RT,
    // 0x68 PRODUCT_MOBILE_CORE and 0x85 PRODUCT_MOBILE_ENTERPRISE are Windows 10 Mobile.
    private const int CoreArm = 0x61, MobileCore = 0x68, MobileEnterprise = 0x85;

    public static Platform FromEnrolment(string? osVersion, string? osEdition, string? deviceType)
    {
        var version = OsVersion.TryParse(osVersion, out var parsed) ? parsed : default;
        var edition = int.TryParse(osEdition, out var number) ? number : -1;
        var phone = deviceType?.Contains("Phone", StringComparison.OrdinalIgnoreCase) == true;
        return version.Major switch
        {
            8 => Platform.WindowsPhone81, // Windows Phone 8.0 is 8.0.x, 8.1 is 8.10.x
            6 => edition == CoreArm || deviceType?.Contains("ARM", StringComparison.OrdinalIgnoreCase) == true ? Platform.WindowsRT : Platform.Windows81,
            >= 10 when edition is MobileCore or MobileEnterprise || phone => Platform.Windows10Mobile,
            >= 10 => Platform.Windows10Desktop,
            _ => phone ? Platform.WindowsPhone81 : Platform.Windows10Desktop,
        };
    }

    /// <summary>The row a DevDetail answer shows, or null when it does not tell (the enrolment's guess then stands).</summary>
    public static Platform? FromReport(OsVersion version, string? osPlatform) => version.Major switch
    {
        8 => Platform.WindowsPhone81,
        6 when osPlatform is null => null,
        6 => osPlatform.Contains("RT", StringComparison.Ordinal) ? Platform.WindowsRT : Platform.Windows81,
        >= 10 when osPlatform is null => null,
        >= 10 => osPlatform.Contains("Mobile", StringComparison.OrdinalIgnoreCase) ? Platform.Windows10Mobile : Platform.Windows10Desktop,
        _ => null,
    };
}
