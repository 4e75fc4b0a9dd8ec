using Latch.Core.Devices;

namespace Latch.Core.Tests.Devices;

public sealed class PlatformNamesTests
{
    [Theory]
    [InlineData("macOS", Platform.MacOS)]
    [InlineData("iOS", Platform.IOS)]
    [InlineData("Android", Platform.Android)]
    [InlineData("Android for Work", Platform.AndroidForWork)]
    [InlineData("Windows 10 Mobile", Platform.Windows10Mobile)]
    [InlineData("Windows 10 desktop", Platform.Windows10Desktop)]
    [InlineData("Windows Phone 8 / 8.1", Platform.WindowsPhone81)]
    [InlineData("Windows RT / RT 8.1", Platform.WindowsRT)]
    [InlineData("Windows 8.1", Platform.Windows81)]
    [InlineData("windows81", Platform.Windows81)]
    [InlineData("ANDROIDFORWORK", Platform.AndroidForWork)]
    public void Parse_SpecNamesAndEnumNames(string text, Platform expected) => Assert.Equal(expected, PlatformNames.Parse(text));

    [Fact]
    public void DisplayName_RoundTripsForEveryPlatform()
    {
        foreach (var platform in Enum.GetValues<Platform>())
            Assert.Equal(platform, PlatformNames.Parse(platform.DisplayName()));
    }

    [Theory]
    [InlineData("BlackBerry")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("Windows")]
    public void Parse_UnknownName_ThrowsListingTheValidOnes(string? text)
    {
        var error = Assert.Throws<FormatException>(() => PlatformNames.Parse(text));
        Assert.Contains("Unknown platform", error.Message);
        Assert.Contains("Windows Phone 8 / 8.1", error.Message);
    }
}
