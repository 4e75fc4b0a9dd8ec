using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class IosCommandTests
{
    [Theory]
    [InlineData(AppleDeviceKind.IPhone)]
    [InlineData(AppleDeviceKind.IPad)]
    public async Task DeviceLock_WithPasscode_LocksAndAcknowledges(AppleDeviceKind kind)
    {
        await using var run = await Enrolled.StartAsync(kind);

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Equal(run.Device.Udid, report.UDID);
        Assert.False(report.Dict.ContainsKey("MessageResult"));
        Assert.True(run.Device.IsLocked);
    }

    [Fact]
    public async Task DeviceLock_WithMessageAndPhoneNumber_ShowsThemAndSaysSuccess()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()) { Message = "Found me? Call", PhoneNumber = "+44 20 7946 0000" });

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Equal(new PlistString("Success"), report.Dict["MessageResult"]);
        Assert.Equal("Found me? Call", run.Device.LockMessage);
        Assert.Equal("+44 20 7946 0000", run.Device.LockPhoneNumber);
    }

    [Theory]
    [InlineData(AppleDeviceKind.IPhone)]
    [InlineData(AppleDeviceKind.IPad)]
    public async Task DeviceLock_WithoutPasscode_IsAnErrorNamingNoPasscodeSet(AppleDeviceKind kind)
    {
        await using var run = await Enrolled.StartAsync(kind, new SimulatedAppleDeviceOptions { PasscodeSet = false });

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()));

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        var error = Assert.Single(report.ErrorChain);
        Assert.Equal(SimulatedAppleDevice.NoPasscodeSetErrorCode, error.ErrorCode);
        Assert.Equal(SimulatedAppleDevice.ErrorDomain, error.ErrorDomain);
        Assert.Contains("NoPasscodeSet", error.LocalizedDescription, StringComparison.Ordinal);
        Assert.Contains("NoPasscodeSet", error.USEnglishDescription, StringComparison.Ordinal);
        Assert.StartsWith("Simulated", error.LocalizedDescription, StringComparison.Ordinal);
        Assert.False(run.Device.IsLocked);
        Assert.Equal(CommandResponseStatus.Error, Assert.Single(run.Device.ReceivedCommands).Answer);
    }

    [Fact]
    public async Task DeviceLock_PasscodeRemovedAfterEnrolment_IsRefused()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        run.Device.PasscodeSet = false;

        var report = await run.SendAsync(new DeviceLock(Enrolled.NewUuid()) { Message = "Lost" });

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        Assert.Equal(new PlistString("NoPasscodeSet"), report.Dict["MessageResult"]);
    }

    [Fact]
    public async Task ClearPasscode_WithTheDevicesUnlockToken_ClearsThePasscode()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var token = Assert.IsType<TokenUpdate>(run.Server.Checkins[1]).UnlockToken!.Value;

        var report = await run.SendAsync(new ClearPasscode(Enrolled.NewUuid(), token));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Empty(report.ErrorChain);
        Assert.False(run.Device.PasscodeSet);
    }

    [Fact]
    public async Task ClearPasscode_WithAnotherToken_IsAnErrorAndKeepsThePasscode()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPad);
        var wrong = run.Device.UnlockToken!.Value.ToArray();
        wrong[^1] ^= 0xFF;

        var report = await run.SendAsync(new ClearPasscode(Enrolled.NewUuid(), wrong));

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        var error = Assert.Single(report.ErrorChain);
        Assert.Equal(SimulatedAppleDevice.InvalidUnlockTokenErrorCode, error.ErrorCode);
        Assert.Contains("unlock token is not valid", error.USEnglishDescription, StringComparison.Ordinal);
        Assert.True(run.Device.PasscodeSet);
    }

    [Fact]
    public async Task DeviceInformation_AnswersTheAskedQueries()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone, new SimulatedAppleDeviceOptions
        {
            DeviceName = "Ada's iPhone", OSVersion = "17.6", BuildVersion = "21G80", Supervised = true, SerialNumber = "F2LXK0QJHG7F",
        });
        string[] queries = ["DeviceName", "OSVersion", "BuildVersion", "ModelName", "Model", "ProductName", "SerialNumber", "UDID",
            "IMEI", "IsSupervised", "NoSuchQuery"];

        var report = await run.SendAsync(new DeviceInformation(Enrolled.NewUuid(), queries));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Equal(new PlistString("DeviceInformation"), report.Dict["RequestType"]);
        var answers = Assert.IsType<PlistDict>(report.Dict["QueryResponses"]);
        Assert.Equal(new PlistString("Ada's iPhone"), answers["DeviceName"]);
        Assert.Equal(new PlistString("17.6"), answers["OSVersion"]);
        Assert.Equal(new PlistString("21G80"), answers["BuildVersion"]);
        Assert.Equal(new PlistString("iPhone"), answers["ModelName"]);
        Assert.Equal(new PlistString(run.Device.Model), answers["Model"]);
        Assert.Equal(new PlistString("iPhone15,2"), answers["ProductName"]);
        Assert.Equal(new PlistString("F2LXK0QJHG7F"), answers["SerialNumber"]);
        Assert.Equal(new PlistString(run.Device.Udid), answers["UDID"]);
        Assert.Equal(new PlistString(run.Device.Imei!), answers["IMEI"]);
        Assert.Equal(PlistBoolean.True, answers["IsSupervised"]);
        Assert.False(answers.ContainsKey("NoSuchQuery"));
        Assert.Equal(10, answers.Count);
    }

    [Fact]
    public async Task SecurityInfo_ReportsThePasscode()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone, new SimulatedAppleDeviceOptions { PasscodeSet = false });

        var report = await run.SendAsync(new SecurityInfo(Enrolled.NewUuid()));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        var info = Assert.IsType<PlistDict>(report.Dict["SecurityInfo"]);
        Assert.Equal(PlistBoolean.False, info["PasscodePresent"]);
        Assert.Equal(PlistBoolean.True, info["PasscodeCompliant"]);
        Assert.Equal(PlistBoolean.True, info["PasscodeCompliantWithProfiles"]);
        Assert.Equal(new PlistInteger(3), info["HardwareEncryptionCaps"]);
    }

    [Fact]
    public async Task UnknownRequestType_IsAnErrorSayingItIsNotSupported()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var command = new GenericCommand(Enrolled.NewUuid(), new PlistDict(
            [new("RequestType", new PlistString("EraseDevice")), new("PIN", new PlistString("123456"))]));

        var report = await run.SendAsync(command);

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        var error = Assert.Single(report.ErrorChain);
        Assert.Equal(SimulatedAppleDevice.UnsupportedCommandErrorCode, error.ErrorCode);
        Assert.Contains("'EraseDevice' is not supported", error.LocalizedDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedCommand_IsACommandFormatError()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var uuid = Enrolled.NewUuid();
        // DeviceInformation without its required Queries array.
        var command = new GenericCommand(uuid, new PlistDict([new("RequestType", new PlistString("DeviceInformation"))]));

        var report = await run.SendAsync(command);

        Assert.Equal(CommandResponseStatus.CommandFormatError, report.Status);
        var received = Assert.Single(run.Device.ReceivedCommands);
        Assert.Equal(("DeviceInformation", uuid), (received.RequestType, received.CommandUUID));
        Assert.Contains("Queries", received.Detail, StringComparison.Ordinal);
    }
}
