using Latch.Core.Devices;

namespace Latch.Core.Tests;

/// <summary>Devices for tests: by default enrolled directly, passcode set, nothing unusual; adjust what the test is about.</summary>
internal static class TestDevices
{
    public static readonly Guid EnrollingUser = new("11111111-1111-1111-1111-111111111111");
    public static readonly Guid OtherUser = new("22222222-2222-2222-2222-222222222222");

    public static Device Of(Platform platform, string? version = null, Action<Device>? adjust = null)
    {
        var device = new Device
        {
            Name = $"Test {platform.DisplayName()}",
            Platform = platform,
            OsVersion = OsVersion.Parse(version ?? DefaultVersion(platform)),
            Channel = ManagementChannel.DirectMdm,
            PasscodeSet = true,
            HasUnlockToken = platform is Platform.IOS or Platform.MacOS,
            AzureAdJoined = platform == Platform.Windows10Mobile,
        };
        if (platform.IsWindows())
        {
            device.EnrolledByUserId = EnrollingUser;
            device.CurrentUserId = EnrollingUser;
        }
        adjust?.Invoke(device);
        return device;
    }

    private static string DefaultVersion(Platform platform) => platform switch
    {
        Platform.MacOS => "14.5",
        Platform.IOS => "17.5",
        Platform.Android => "6.0.1",
        Platform.AndroidForWork => "13",
        Platform.Windows10Mobile => "10.0.15063.0",
        Platform.Windows10Desktop => "10.0.19045",
        Platform.WindowsPhone81 => "8.10.14219",
        Platform.WindowsRT or Platform.Windows81 => "6.3.9600",
        _ => throw new ArgumentOutOfRangeException(nameof(platform)),
    };
}
