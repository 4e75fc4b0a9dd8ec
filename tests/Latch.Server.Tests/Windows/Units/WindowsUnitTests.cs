using System.Text;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Sessions;
using Latch.Protocols.Windows;
using Latch.Server.Windows.Enrollment;
using Latch.Server.Windows.Mdm;

namespace Latch.Server.Tests.Windows.Units;

/// <summary>The SPEC's five Windows rows, from the enrolment's AdditionalContext and from DevDetail.</summary>
public sealed class WindowsPlatformsTests
{
    [Theory]
    [InlineData("8.10.14219", null, "WindowsPhone", Platform.WindowsPhone81)]
    [InlineData("8.10.15148.160", "", "WindowsPhone", Platform.WindowsPhone81)]
    [InlineData("6.3.9600", "4", "CIMClient_Windows", Platform.Windows81)]
    [InlineData("6.3.9600", "48", null, Platform.Windows81)]
    [InlineData("6.3.9600", "97", "CIMClient_Windows", Platform.WindowsRT)]
    [InlineData("6.3.9600", null, "CIMClient_Windows_ARM", Platform.WindowsRT)]
    [InlineData("10.0.19045", "48", "CIMClient_Windows", Platform.Windows10Desktop)]
    [InlineData("10.0.22631.1", "4", "CIMClient_Windows", Platform.Windows10Desktop)]
    [InlineData("10.0.15063.0", "104", "CIMClient_Windows", Platform.Windows10Mobile)]
    [InlineData("10.0.15063.0", "133", null, Platform.Windows10Mobile)]
    [InlineData("10.0.15254.0", null, "WindowsPhone", Platform.Windows10Mobile)]
    [InlineData(null, null, "WindowsPhone", Platform.WindowsPhone81)]
    [InlineData("garbage", null, null, Platform.Windows10Desktop)]
    public void FromEnrolment(string? osVersion, string? osEdition, string? deviceType, Platform expected) =>
        Assert.Equal(expected, WindowsPlatforms.FromEnrolment(osVersion, osEdition, deviceType));

    [Theory]
    [InlineData("8.10.14219", null, Platform.WindowsPhone81)]
    [InlineData("6.3.9600", "Windows RT 8.1", Platform.WindowsRT)]
    [InlineData("6.3.9600", "Windows 8.1 Pro", Platform.Windows81)]
    [InlineData("6.3.9600", null, null)]
    [InlineData("10.0.15063.0", "Windows 10 Mobile", Platform.Windows10Mobile)]
    [InlineData("10.0.19045.0", "Windows 10 Enterprise", Platform.Windows10Desktop)]
    [InlineData("10.0.19045.0", null, null)]
    [InlineData("7.0", "Windows Phone", null)]
    public void FromReport(string version, string? osPlatform, Platform? expected) =>
        Assert.Equal(expected, WindowsPlatforms.FromReport(OsVersion.Parse(version), osPlatform));
}

/// <summary>How a Latch command id travels as a CmdID / CmdRef.</summary>
public sealed class CommandRefTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(CommandRef.ResetPart)]
    [InlineData(CommandRef.NewPinPart)]
    public void RoundTrips(string? part)
    {
        var id = Guid.CreateVersion7();
        var text = CommandRef.Of(id, part);
        Assert.True(CommandRef.TryParse(text, out var parsed, out var parsedPart));
        Assert.Equal(id, parsed);
        Assert.Equal(part, parsedPart);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("2")]
    [InlineData("push-channel-1")]
    [InlineData("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6")] // 35 characters
    [InlineData("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b.other")]
    [InlineData("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b.")]
    [InlineData("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6bx")]
    [InlineData("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b.reset.pin")]
    [InlineData("{0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b}")]
    [InlineData("zz92a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b")]
    public void Rejects(string? text) => Assert.False(CommandRef.TryParse(text, out _, out _));
}

/// <summary>Device SyncML messages (the vectors, with their CmdRefs rewritten to Latch's) as reports and facts.</summary>
public sealed class WindowsMessageTests
{
    private static string Vector(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "windows", name));

    private static WindowsMessage Read(string xml) => WindowsMessage.Read(SyncMessage.Decode(Encoding.UTF8.GetBytes(xml)));

    private static string WithRef(string xml, string from, string to) =>
        xml.Replace($"<CmdRef>{from}</CmdRef>", $"<CmdRef>{to}</CmdRef>", StringComparison.Ordinal);

    [Fact]
    public void Lock200_IsAcknowledged()
    {
        var id = Guid.CreateVersion7();
        var message = Read(WithRef(Vector("07-device-status-lock-200.xml"), "2", CommandRef.Of(id)));
        var report = Assert.Single(message.Reports);
        Assert.Equal(id, report.CommandId);
        Assert.Equal(CommandReportKind.Acknowledged, report.Report.Kind);
        Assert.Empty(message.UnknownRefs);
        Assert.False(message.StartsSession);
    }

    [Fact]
    public void Lock405_FailsSayingThereIsNoPin()
    {
        var id = Guid.CreateVersion7();
        var report = Assert.Single(Read(WithRef(Vector("08-device-status-lock-405-nopin.xml"), "2", CommandRef.Of(id))).Reports);
        Assert.Equal(CommandReportKind.Error, report.Report.Kind);
        Assert.Contains("no PIN", report.Report.Error);
    }

    [Fact]
    public void Lock417_IsNotNow()
    {
        var id = Guid.CreateVersion7();
        var xml = WithRef(Vector("07-device-status-lock-200.xml"), "2", CommandRef.Of(id))
            .Replace("<Cmd>Exec</Cmd>\n      <Data>200</Data>", "<Cmd>Exec</Cmd>\n      <Data>417</Data>", StringComparison.Ordinal);
        Assert.Contains("<Data>417</Data>", xml);
        var report = Assert.Single(Read(xml).Reports);
        Assert.Equal(CommandReportKind.NotNow, report.Report.Kind);
    }

    [Fact]
    public void ResetResults_AreAcknowledged_WithTheNewPin()
    {
        var id = Guid.CreateVersion7();
        var xml = Vector("10-device-results-newpinvalue.xml");
        xml = WithRef(xml, "2", CommandRef.Of(id));
        xml = WithRef(xml, "3", CommandRef.Of(id, CommandRef.ResetPart));
        xml = WithRef(xml, "4", CommandRef.Of(id, CommandRef.NewPinPart));
        var report = Assert.Single(Read(xml).Reports);
        Assert.Equal(id, report.CommandId);
        Assert.Equal(CommandReportKind.Acknowledged, report.Report.Kind);
        Assert.Equal("40615928", report.Secret);
        Assert.DoesNotContain("40615928", report.ToString());
    }

    [Fact]
    public void AResetWhoseResetPartFailed_Fails()
    {
        var id = Guid.CreateVersion7();
        var xml = Vector("10-device-results-newpinvalue.xml")
            .Replace("<CmdRef>3</CmdRef>\n      <Cmd>Exec</Cmd>\n      <Data>200</Data>", "<CmdRef>3</CmdRef>\n      <Cmd>Exec</Cmd>\n      <Data>500</Data>", StringComparison.Ordinal);
        Assert.Contains("<Data>500</Data>", xml);
        xml = WithRef(WithRef(WithRef(xml, "2", CommandRef.Of(id)), "3", CommandRef.Of(id, CommandRef.ResetPart)), "4", CommandRef.Of(id, CommandRef.NewPinPart));
        var report = Assert.Single(Read(xml).Reports);
        Assert.Equal(CommandReportKind.Error, report.Report.Kind);
        Assert.Null(report.Secret);
    }

    [Fact]
    public void Package1_StartsASession_WithTheLoginStatusAndDevInfo()
    {
        var message = Read(Vector("01-device-pkg1-alert1201-devinfo.xml"));
        Assert.True(message.StartsSession);
        Assert.False(message.Unenrolls);
        Assert.NotNull(message.Facts);
        Assert.Equal(SignedIn.EnrollingUser, message.Facts.SignedIn);
        Assert.Equal("VMware, Inc.", message.Facts.Manufacturer);
        Assert.Equal("VMware7,1", message.Facts.Model);
        Assert.Empty(message.Reports);
    }

    [Fact]
    public void AResetWhosePinIsNotAPin_Fails_AndKeepsNothing()
    {
        var id = Guid.CreateVersion7();
        var xml = Vector("10-device-results-newpinvalue.xml").Replace("40615928", new string('7', 65), StringComparison.Ordinal);
        xml = WithRef(WithRef(WithRef(xml, "2", CommandRef.Of(id)), "3", CommandRef.Of(id, CommandRef.ResetPart)), "4", CommandRef.Of(id, CommandRef.NewPinPart));
        var report = Assert.Single(Read(xml).Reports);
        Assert.Equal(CommandReportKind.Error, report.Report.Kind);
        Assert.Null(report.Secret);
    }

    [Fact]
    public void FactsLongerThanTheRecordHolds_AreCut_NotRefused()
    {
        var message = Read(Vector("01-device-pkg1-alert1201-devinfo.xml").Replace("VMware, Inc.", new string('M', 5_000), StringComparison.Ordinal));
        Assert.Equal(new string('M', 200), message.Facts?.Manufacturer);
    }

    [Theory]
    [InlineData("http://db5.notify.windows.com/?token=x")] // not https
    [InlineData("not a uri")]
    public void AChannelUriThatIsNoHttpsUri_IsIgnored(string channel)
    {
        var id = Guid.CreateVersion7();
        var xml = $"""
            <SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>2</MsgID>
            <Target><LocURI>https://latch.example/ManagementServer/MDM.svc</LocURI></Target><Source><LocURI>DEV</LocURI></Source></SyncHdr>
            <SyncBody><Results><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>{WindowsMessage.PushChannelCmdIdPrefix}1</CmdRef><Cmd>Get</Cmd>
            <Item><Source><LocURI>./Vendor/MSFT/DMClient/Provider/Latch/Push/ChannelURI</LocURI></Source><Data>{channel}</Data></Item></Results><Final/></SyncBody></SyncML>
            """;
        Assert.Null(Read(xml).PushChannelUri);
        Assert.Equal($"https://db5.notify.windows.com/?token={id:N}", Read(xml.Replace(channel, $"https://db5.notify.windows.com/?token={id:N}", StringComparison.Ordinal)).PushChannelUri);
    }

    [Fact]
    public void TheUnenrolAlert_Unenrols()
    {
        var message = Read(Vector("03-device-alert1226-unenroll.xml"));
        Assert.True(message.StartsSession);
        Assert.True(message.Unenrolls);
        Assert.Equal(SignedIn.EnrollingUser, message.Facts?.SignedIn);
    }

    [Fact]
    public void AStatusForACmdRefLatchNeverSent_IsListedAsUnknown()
    {
        var message = Read(Vector("07-device-status-lock-200.xml")); // CmdRef 2: not a Latch command id
        Assert.Empty(message.Reports);
        Assert.Equal(["2"], message.UnknownRefs);
    }
}

/// <summary>Latch's commands as OMA-DM commands.</summary>
public sealed class WindowsCommandEncoderTests
{
    private static Command Command(string type) => new() { DeviceId = Guid.NewGuid(), Type = type };

    [Fact]
    public void Lock_IsAnExecOfRemoteLockLock_NamedByTheCommandId()
    {
        var command = Command(CommandTypes.RemoteLock);
        var encoding = WindowsCommandEncoder.Instance.Encode(command, null);
        Assert.Null(encoding.WhyNot);
        var exec = Assert.IsType<SyncExec>(encoding.Wire);
        Assert.Equal(CommandRef.Of(command.Id), exec.CmdId);
        Assert.Equal(WindowsCommandEncoder.LockUri, Assert.Single(exec.Items).Target);
    }

    [Fact]
    public void Reset_IsOneSequence_OfLockAndResetPin_ThenGetNewPinValue()
    {
        var command = Command(CommandTypes.ResetPasscode);
        var sequence = Assert.IsType<SyncSequence>(WindowsCommandEncoder.Instance.Encode(command, null).Wire);
        Assert.Equal(CommandRef.Of(command.Id), sequence.CmdId);
        Assert.Collection(sequence.Commands,
            first =>
            {
                var exec = Assert.IsType<SyncExec>(first);
                Assert.Equal(CommandRef.Of(command.Id, CommandRef.ResetPart), exec.CmdId);
                Assert.Equal(WindowsCommandEncoder.LockAndResetPinUri, Assert.Single(exec.Items).Target);
            },
            second =>
            {
                var get = Assert.IsType<SyncGet>(second);
                Assert.Equal(CommandRef.Of(command.Id, CommandRef.NewPinPart), get.CmdId);
                Assert.Equal(WindowsCommandEncoder.NewPinValueUri, Assert.Single(get.Items).Target);
            });
        // Every CmdID in it is distinct and parses back to the command.
        var ids = sequence.Commands.Select(c => c.CmdId).Append(sequence.CmdId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(CommandRef.TryParse(id, out var parsed, out _) && parsed == command.Id));
    }

    [Fact]
    public void TheQuery_GetsDevDetailAndDevInfo()
    {
        var command = Command(CommandTypes.QueryDeviceInformation);
        var get = Assert.IsType<SyncGet>(WindowsCommandEncoder.Instance.Encode(command, null).Wire);
        Assert.Equal(CommandRef.Of(command.Id), get.CmdId);
        Assert.Equal(WindowsCommandEncoder.DeviceInformationUris, get.Items.Select(i => i.Target));
    }

    [Fact]
    public void AnUnknownCommand_IsRefusedWithItsReason()
    {
        var encoding = WindowsCommandEncoder.Instance.Encode(Command("ClearPasscode"), null);
        Assert.Null(encoding.Wire);
        Assert.Contains("ClearPasscode", encoding.WhyNot);
    }

    [Fact]
    public void TheEncodedCommands_WriteAsSyncMl()
    {
        var commands = new[] { CommandTypes.RemoteLock, CommandTypes.ResetPasscode, CommandTypes.QueryDeviceInformation }
            .Select(t => WindowsCommandEncoder.Instance.Encode(Command(t), null).Wire!).ToList();
        var message = new SyncMessage
        {
            Header = new SyncHeader { SessionId = "1", MsgId = "2", TargetLocUri = "B5B954E81FBCB94EB79BD08BE625F4EE", SourceLocUri = "https://latch.example/ManagementServer/MDM.svc" },
            Commands = commands,
        };
        var xml = Encoding.UTF8.GetString(message.Encode());
        Assert.Contains(WindowsCommandEncoder.LockUri, xml);
        Assert.Contains("<Sequence>", xml);
        var decoded = SyncMessage.Decode(message.Encode());
        Assert.Equal(3, decoded.Commands.Count);
    }
}
