using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class MacCommandTests
{
    [Fact]
    public async Task DeviceLock_WithSixDigitPin_LocksAndAcknowledges()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()) { PIN = "482913", Message = "Return to IT" });

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.True(run.Device.IsLocked);
        Assert.Equal("482913", run.Device.LockPin);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("12345")]
    [InlineData("12345a")]
    [InlineData("1234567")]
    public async Task DeviceLock_WithoutASixDigitPin_IsACommandFormatError(string? pin)
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()) { PIN = pin });

        Assert.Equal(CommandResponseStatus.CommandFormatError, report.Status);
        Assert.False(run.Device.IsLocked);
    }

    [Fact]
    public async Task DeviceLock_WithoutPasscode_StillLocksWithPin()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac, new SimulatedAppleDeviceOptions { PasscodeSet = false });

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()) { PIN = "000000" });

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
    }

    [Fact]
    public async Task ClearPasscode_IsAnErrorSayingItIsNotSupported()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var report = await run.SendAsync(new ClearPasscode(Enrolled.NewUuid(), new byte[] { 1, 2, 3 }));

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        var error = Assert.Single(report.ErrorChain);
        Assert.Equal(SimulatedAppleDevice.NotSupportedOnThisPlatformErrorCode, error.ErrorCode);
        Assert.Contains("not supported on macOS", error.LocalizedDescription, StringComparison.Ordinal);
        Assert.True(run.Device.PasscodeSet);
    }

    [Fact]
    public async Task DeviceInformation_AnswersAsAMac()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var report = await run.SendAsync(new DeviceInformation(Enrolled.NewUuid(), ["ProductName", "ModelName", "IMEI", "IsAppleSilicon", "OSVersion"]));

        var answers = Assert.IsType<PlistDict>(report.Dict["QueryResponses"]);
        Assert.Equal(new PlistString("Mac14,2"), answers["ProductName"]);
        Assert.Equal(new PlistString("MacBook Air"), answers["ModelName"]);
        Assert.Equal(PlistBoolean.True, answers["IsAppleSilicon"]);
        Assert.Equal(new PlistString("14.5"), answers["OSVersion"]);
        Assert.False(answers.ContainsKey("IMEI"));
    }

    [Fact]
    public async Task SecurityInfo_AnswersAsAMac()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var report = await run.SendAsync(new SecurityInfo(Enrolled.NewUuid()));

        var info = Assert.IsType<PlistDict>(report.Dict["SecurityInfo"]);
        Assert.Equal(PlistBoolean.True, info["PasscodePresent"]);
        Assert.Equal(PlistBoolean.True, info["FDE_Enabled"]);
    }
}
