using Latch.Core.Devices;
using Latch.Core.Rules;

namespace Latch.Core.Tests.Rules;

/// <summary>SPEC §3 (and the lost-device rule of §6), one test per row and condition, with the boundaries.</summary>
public sealed class ResetPasscodeRulesTests
{
    private static RuleVerdict Reset(Device device, bool lostDeviceConfirmed = false) =>
        ActionRules.Evaluate(RemoteAction.ResetPasscode, device, lostDeviceConfirmed);

    [Theory]
    [InlineData(Platform.MacOS, "Passcode reset is not supported on macOS.")]
    [InlineData(Platform.AndroidForWork, "Passcode reset is not supported on Android for Work.")]
    [InlineData(Platform.WindowsRT, "Passcode reset is not supported on Windows RT / RT 8.1.")]
    [InlineData(Platform.Windows81, "Passcode reset is not supported on Windows 8.1.")]
    [InlineData(Platform.Windows10Desktop, "Passcode reset is not supported on Windows 10 desktop.")]
    public void ResetPasscode_UnsupportedPlatform_IsRefusedWithReason(Platform platform, string reason)
    {
        var verdict = Reset(TestDevices.Of(platform));
        Assert.False(verdict.IsSupported);
        Assert.Equal(reason, verdict.Reason);
    }

    [Fact]
    public void ResetPasscode_IOSWithUnlockToken_IsSupported() =>
        Assert.True(Reset(TestDevices.Of(Platform.IOS)).IsSupported);

    [Fact]
    public void ResetPasscode_IOSWithoutUnlockToken_IsRefusedWithReason()
    {
        var verdict = Reset(TestDevices.Of(Platform.IOS, adjust: d => d.HasUnlockToken = false));
        Assert.False(verdict.IsSupported);
        Assert.Contains("unlock token", verdict.Reason);
        Assert.Contains("try again after the device checks in", verdict.Reason);
    }

    [Theory]
    [InlineData("4.4.2")]
    [InlineData("5.1")]
    [InlineData("6.0")]
    [InlineData("6.0.1")]
    [InlineData("6.99.99")]
    public void ResetPasscode_AndroidBefore7_IsSupported(string version) =>
        Assert.True(Reset(TestDevices.Of(Platform.Android, version)).IsSupported);

    [Theory]
    [InlineData("7")]
    [InlineData("7.0")]
    [InlineData("7.0.0")]
    [InlineData("7.1.2")]
    [InlineData("14")]
    public void ResetPasscode_Android7AndLater_IsRefusedWithReason(string version)
    {
        var verdict = Reset(TestDevices.Of(Platform.Android, version));
        Assert.False(verdict.IsSupported);
        Assert.StartsWith("Android 7.0 and later do not allow a passcode reset", verdict.Reason);
    }

    [Theory]
    [InlineData("10.0.15063")]
    [InlineData("10.0.15063.0")]
    [InlineData("10.0.15254.1")]
    public void ResetPasscode_Windows10MobileCreatorsUpdateAzureAdJoined_IsSupported(string version) =>
        Assert.True(Reset(TestDevices.Of(Platform.Windows10Mobile, version, d => d.AzureAdJoined = true)).IsSupported);

    [Theory]
    [InlineData("10.0.15062")]
    [InlineData("10.0.14393.2551")]
    [InlineData("10.0.10586")]
    public void ResetPasscode_Windows10MobileBeforeCreatorsUpdate_IsRefusedWithReason(string version)
    {
        var verdict = Reset(TestDevices.Of(Platform.Windows10Mobile, version, d => d.AzureAdJoined = true));
        Assert.False(verdict.IsSupported);
        Assert.Contains("Creators Update (build 15063)", verdict.Reason);
        Assert.Contains($"build {OsVersion.Parse(version).Build}", verdict.Reason);
    }

    [Fact]
    public void ResetPasscode_Windows10MobileNotAzureAdJoined_IsRefusedWithReason()
    {
        var verdict = Reset(TestDevices.Of(Platform.Windows10Mobile, "10.0.15063", d => d.AzureAdJoined = false));
        Assert.False(verdict.IsSupported);
        Assert.Contains("only on Azure AD joined devices", verdict.Reason);
    }

    [Fact]
    public void ResetPasscode_WindowsPhone81_IsSupported() =>
        Assert.True(Reset(TestDevices.Of(Platform.WindowsPhone81)).IsSupported);

    [Theory]
    [InlineData(Platform.WindowsPhone81)]
    [InlineData(Platform.Windows10Mobile)]
    [InlineData(Platform.Windows10Desktop)]
    public void ResetPasscode_PcSoftwareClient_IsRefusedWithReason(Platform platform)
    {
        var verdict = Reset(TestDevices.Of(platform, adjust: d => d.Channel = ManagementChannel.PcSoftwareClient));
        Assert.False(verdict.IsSupported);
        Assert.Contains("PC software client cannot be reset", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.WindowsPhone81)]
    public void ResetPasscode_ExchangeActiveSyncOnly_IsRefusedWithRemedy(Platform platform)
    {
        var verdict = Reset(TestDevices.Of(platform, adjust: d => d.Channel = ManagementChannel.ExchangeActiveSyncOnly));
        Assert.False(verdict.IsSupported);
        Assert.Contains("no lock or passcode reset", verdict.Reason);
        Assert.Contains("Enrol the device in MDM", verdict.Reason);
    }

    [Fact]
    public void ResetPasscode_ManagedThroughMdmAndExchange_GoesThroughMdm() =>
        Assert.True(Reset(TestDevices.Of(Platform.Android, "6.0.1", d => d.Channel = ManagementChannel.DirectMdmAndExchangeActiveSync)).IsSupported);

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.WindowsPhone81)]
    public void ResetPasscode_LostDeviceWithoutConfirmation_IsRefusedWithReason(Platform platform)
    {
        var verdict = Reset(TestDevices.Of(platform, adjust: d => d.IsLost = true));
        Assert.False(verdict.IsSupported);
        Assert.Contains("marked lost", verdict.Reason);
        Assert.Contains("Confirm", verdict.Reason);
    }

    [Fact]
    public void ResetPasscode_LostDeviceConfirmed_IsSupported() =>
        Assert.True(Reset(TestDevices.Of(Platform.IOS, adjust: d => d.IsLost = true), lostDeviceConfirmed: true).IsSupported);

    [Fact]
    public void ResetPasscode_LostAndroid7_NamesTheVersionNotTheLostMark()
    {
        var verdict = Reset(TestDevices.Of(Platform.Android, "7.0", d => d.IsLost = true), lostDeviceConfirmed: true);
        Assert.StartsWith("Android 7.0 and later", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.WindowsPhone81)]
    public void ResetPasscode_NoPasscodeSet_IsStillSupported(Platform platform) =>
        Assert.True(Reset(TestDevices.Of(platform, adjust: d => d.PasscodeSet = false)).IsSupported);
}
