using Latch.Core.Devices;
using Latch.Core.Rules;

namespace Latch.Core.Tests.Rules;

/// <summary>SPEC §2, one test per row and condition.</summary>
public sealed class RemoteLockRulesTests
{
    private static RuleVerdict Lock(Device device) => ActionRules.Evaluate(RemoteAction.RemoteLock, device);

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.AndroidForWork)]
    [InlineData(Platform.Windows10Mobile)]
    [InlineData(Platform.WindowsPhone81)]
    public void RemoteLock_SupportedPlatform_IsSupported(Platform platform) =>
        Assert.True(Lock(TestDevices.Of(platform)).IsSupported);

    [Fact]
    public void RemoteLock_MacOS_IsRefusedWithReason()
    {
        var verdict = Lock(TestDevices.Of(Platform.MacOS));
        Assert.False(verdict.IsSupported);
        Assert.Equal("Remote lock is not supported on macOS.", verdict.Reason);
    }

    [Fact]
    public void RemoteLock_Windows10Desktop_IsRefusedWithReason()
    {
        var verdict = Lock(TestDevices.Of(Platform.Windows10Desktop));
        Assert.False(verdict.IsSupported);
        Assert.Equal("Remote lock is not supported on Windows 10 desktop.", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.WindowsRT)]
    [InlineData(Platform.Windows81)]
    public void RemoteLock_WindowsRTOr81_EnrollingUserSignedIn_IsSupported(Platform platform) =>
        Assert.True(Lock(TestDevices.Of(platform)).IsSupported);

    [Theory]
    [InlineData(Platform.WindowsRT)]
    [InlineData(Platform.Windows81)]
    public void RemoteLock_WindowsRTOr81_AnotherUserSignedIn_IsRefusedWithReason(Platform platform)
    {
        var verdict = Lock(TestDevices.Of(platform, adjust: d => d.CurrentUserId = TestDevices.OtherUser));
        Assert.False(verdict.IsSupported);
        Assert.Contains("only while the user who enrolled them is signed in", verdict.Reason);
        Assert.Contains("another user is signed in now", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.WindowsRT)]
    [InlineData(Platform.Windows81)]
    public void RemoteLock_WindowsRTOr81_NobodySignedIn_IsRefusedWithReason(Platform platform)
    {
        var verdict = Lock(TestDevices.Of(platform, adjust: d => d.CurrentUserId = null));
        Assert.False(verdict.IsSupported);
        Assert.Contains("nobody is signed in now", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.Windows10Mobile)]
    [InlineData(Platform.WindowsPhone81)]
    public void RemoteLock_OtherWindowsPhones_DoNotCareWhoIsSignedIn(Platform platform) =>
        Assert.True(Lock(TestDevices.Of(platform, adjust: d => d.CurrentUserId = TestDevices.OtherUser)).IsSupported);

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.AndroidForWork)]
    [InlineData(Platform.Windows10Mobile)]
    [InlineData(Platform.WindowsPhone81)]
    [InlineData(Platform.WindowsRT)]
    [InlineData(Platform.Windows81)]
    public void RemoteLock_NoPasscodeSet_IsRefusedWithReason(Platform platform)
    {
        var verdict = Lock(TestDevices.Of(platform, adjust: d => d.PasscodeSet = false));
        Assert.False(verdict.IsSupported);
        Assert.Contains("no PIN or passcode set", verdict.Reason);
        Assert.Contains("Ask the user to set a passcode", verdict.Reason);
    }

    [Fact]
    public void RemoteLock_PcSoftwareClient_IsRefusedWithReason()
    {
        var verdict = Lock(TestDevices.Of(Platform.Windows10Desktop, adjust: d => d.Channel = ManagementChannel.PcSoftwareClient));
        Assert.False(verdict.IsSupported);
        Assert.Contains("PC software client cannot be locked", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.Windows81)]
    [InlineData(Platform.WindowsRT)]
    public void RemoteLock_PcSoftwareClient_IsRefusedEvenWhereMdmWouldLock(Platform platform)
    {
        var verdict = Lock(TestDevices.Of(platform, adjust: d => d.Channel = ManagementChannel.PcSoftwareClient));
        Assert.False(verdict.IsSupported);
        Assert.Contains("PC software client", verdict.Reason);
    }

    [Theory]
    [InlineData(Platform.IOS)]
    [InlineData(Platform.Android)]
    [InlineData(Platform.WindowsPhone81)]
    public void RemoteLock_ExchangeActiveSyncOnly_IsRefusedWithRemedy(Platform platform)
    {
        var verdict = Lock(TestDevices.Of(platform, adjust: d => d.Channel = ManagementChannel.ExchangeActiveSyncOnly));
        Assert.False(verdict.IsSupported);
        Assert.Contains("known only through Exchange ActiveSync", verdict.Reason);
        Assert.Contains("Enrol the device in MDM", verdict.Reason);
    }

    [Fact]
    public void RemoteLock_ManagedThroughMdmAndExchange_GoesThroughMdm() =>
        Assert.True(Lock(TestDevices.Of(Platform.Android, adjust: d => d.Channel = ManagementChannel.DirectMdmAndExchangeActiveSync)).IsSupported);

    [Fact]
    public void RemoteLock_LostDevice_IsSupported() =>
        Assert.True(Lock(TestDevices.Of(Platform.IOS, adjust: d => d.IsLost = true)).IsSupported);

    [Fact]
    public void RemoteLock_MacOSWithoutPasscode_NamesThePlatformFirst() =>
        Assert.Equal("Remote lock is not supported on macOS.", Lock(TestDevices.Of(Platform.MacOS, adjust: d => d.PasscodeSet = false)).Reason);
}
