using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

// Every SyncML vector (SOURCES.md): decoded field by field, and through Encode back to the same message.
public sealed class SyncMlVectorTests
{
    private const string DeviceId = "B5B954E81FBCB94EB79BD08BE625F4EE";
    private const string FleetUrl = "https://windows.fleetdm.ngrok.io/ManagementServer/MDM.svc";
    private const string LatchUrl = "https://latch.example.com/ManagementServer/MDM.svc";
    private const string ContosoUrl = "https://contoso.com/management-server";

    public static TheoryData<string> Names() => [.. WindowsVectors.SyncMlNames()];

    [Fact]
    public void TheTenSyncMlVectorsAreThere() => Assert.Equal(10, WindowsVectors.SyncMlNames().Count());

    [Theory]
    [MemberData(nameof(Names))]
    public void Vector_RoundTripsThroughEncode(string name)
    {
        var decoded = SyncMessage.Decode(WindowsVectors.Bytes(name));
        var encoded = decoded.Encode();
        var again = SyncMessage.Decode(encoded);

        SyncMlAssert.Equal(decoded, again);
        Assert.True(again.Raw.Span.SequenceEqual(encoded));
        Assert.Equal(encoded, again.Encode()); // the encoding is stable
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Vector_KeepsTheExactBytes(string name)
    {
        var bytes = WindowsVectors.Bytes(name);
        var decoded = SyncMessage.Decode(bytes);
        Assert.Equal(bytes, decoded.Raw.ToArray());
    }

    [Fact]
    public void DevicePackage1_Alert1201_LoginStatus_DevInfo()
    {
        var m = Decode("01-device-pkg1-alert1201-devinfo.xml");
        AssertHeader(m.Header, "1", "1", FleetUrl, DeviceId);
        Assert.True(m.Final);
        Assert.Collection(
            m.Commands,
            c => AssertAlert(c, "2", SyncAlertCodes.ClientInitiatedMgmt),
            c =>
            {
                var alert = AssertAlert(c, "3", SyncAlertCodes.ClientEvent);
                var item = Assert.Single(alert.Items);
                Assert.Equal(SyncAlertCodes.LoginStatusType, item.Meta?.Type);
                Assert.Equal("user", item.Data);
            },
            c => AssertDevInfoReplace(c, "4"));
    }

    [Fact]
    public void ServerPackage2_StatusesOnly_InOrder()
    {
        var m = Decode("02-server-pkg2-status-ack.xml");
        AssertHeader(m.Header, "1", "1", DeviceId, FleetUrl);
        Assert.True(m.Final);
        var statuses = m.Commands.Cast<SyncStatus>().ToArray();
        Assert.Equal(["1", "2", "3", "4"], statuses.Select(s => s.CmdId));
        Assert.Equal(["0", "2", "3", "4"], statuses.Select(s => s.CmdRef));
        Assert.Equal(["SyncHdr", "Alert", "Alert", "Replace"], statuses.Select(s => s.Cmd));
        Assert.All(statuses, s =>
        {
            Assert.Equal("1", s.MsgRef);
            Assert.Equal("200", s.Data);
            Assert.Equal(SyncStatusCodes.Ok, s.Code);
            Assert.Null(s.OriginalError);
            Assert.Empty(s.Items);
        });
    }

    [Fact]
    public void DeviceUnenrolAlert1226_CarriesTypeAndFormat()
    {
        var m = Decode("03-device-alert1226-unenroll.xml");
        AssertHeader(m.Header, "2", "1", FleetUrl, DeviceId);
        Assert.Equal(["Alert", "Alert", "Alert", "Replace"], m.Commands.Select(c => c.Name));
        var generic = AssertAlert(m.Commands[2], "4", SyncAlertCodes.GenericAlert);
        var item = Assert.Single(generic.Items);
        Assert.Equal(new SyncMeta { Type = SyncAlertCodes.UnenrollmentUserRequestType, Format = "int" }, item.Meta);
        Assert.Equal("1", item.Data);
        Assert.Null(item.Target);
        Assert.Null(item.Source);
        AssertDevInfoReplace(m.Commands[3], "5");
    }

    [Fact]
    public void SpecServerGet_CommentsIgnored_LocUriKeptAsWritten()
    {
        var m = Decode("04-msmdm-spec-server-get-devdetail.xml");
        AssertHeader(m.Header, "1", "1", "{unique device id}", ContosoUrl);
        Assert.True(m.Final);
        var status = Assert.IsType<SyncStatus>(m.Commands[0]);
        Assert.Equal(("1", "1", "0", "SyncHdr", 200), (status.CmdId, status.MsgRef, status.CmdRef, status.Cmd, status.Code));
        var gets = m.Commands.Skip(1).Select(Assert.IsType<SyncGet>).ToArray();
        Assert.Equal(["4", "5"], gets.Select(g => g.CmdId));
        Assert.Equal(["./DevDetail/SwV", "./ DevDetail/HwV"], gets.Select(g => Assert.Single(g.Items).Target));
        Assert.All(gets, g => Assert.Null(Assert.Single(g.Items).Data));
    }

    [Fact]
    public void SpecDeviceStatusAndResults()
    {
        var m = Decode("05-msmdm-spec-device-status-results.xml");
        AssertHeader(m.Header, "1", "2", ContosoUrl, "{unique device id}");
        Assert.Equal(["Status", "Status", "Status", "Results", "Results"], m.Commands.Select(c => c.Name));
        Assert.Equal(["0", "4", "5"], m.Commands.OfType<SyncStatus>().Select(s => s.CmdRef));
        Assert.Equal(["SyncHdr", "Get", "Get"], m.Commands.OfType<SyncStatus>().Select(s => s.Cmd));

        var swv = Assert.IsType<SyncResults>(m.Commands[3]);
        Assert.Equal(("4", "1", "4", "Get"), (swv.CmdId, swv.MsgRef, swv.CmdRef, swv.Cmd));
        var swvItem = Assert.Single(swv.Items);
        Assert.Equal(new SyncItem { Source = "./DevDetail/SwV", Meta = new SyncMeta { Format = "chr" }, Data = "[software version returned here]" }, swvItem);

        var hwv = Assert.IsType<SyncResults>(m.Commands[4]);
        Assert.Equal(("5", "5"), (hwv.CmdId, hwv.CmdRef));
        Assert.Equal(new SyncItem { Source = "./DevDetail/HwV", Data = "[hardware version returned here]" }, Assert.Single(hwv.Items));
    }

    [Fact]
    public void ServerExecRemoteLock()
    {
        var m = Decode("06-server-exec-remotelock-lock.xml");
        AssertHeader(m.Header, "1", "1", DeviceId, LatchUrl);
        Assert.IsType<SyncStatus>(m.Commands[0]);
        var exec = Assert.IsType<SyncExec>(m.Commands[1]);
        Assert.Equal("2", exec.CmdId);
        Assert.Null(exec.Meta);
        Assert.Equal(new SyncItem { Target = "./Vendor/MSFT/RemoteLock/Lock" }, Assert.Single(exec.Items));
    }

    [Theory]
    [InlineData("07-device-status-lock-200.xml", SyncStatusCodes.Ok)]
    [InlineData("08-device-status-lock-405-nopin.xml", SyncStatusCodes.CommandNotAllowed)]
    public void DeviceStatusForLock(string name, int code)
    {
        var m = Decode(name);
        AssertHeader(m.Header, "1", "2", LatchUrl, DeviceId);
        Assert.Equal(2, m.Commands.Count);
        var header = Assert.IsType<SyncStatus>(m.Commands[0]);
        Assert.Equal(("0", "SyncHdr", 200), (header.CmdRef, header.Cmd, header.Code));
        var exec = Assert.IsType<SyncStatus>(m.Commands[1]);
        Assert.Equal(("2", "1", "2", "Exec", code.ToString(System.Globalization.CultureInfo.InvariantCulture), code),
            (exec.CmdId, exec.MsgRef, exec.CmdRef, exec.Cmd, exec.Data, exec.Code));
    }

    [Fact]
    public void ServerSequence_LockAndResetPin_ThenGet()
    {
        var m = Decode("09-server-sequence-lockandresetpin-get-newpinvalue.xml");
        AssertHeader(m.Header, "2", "1", DeviceId, LatchUrl);
        var sequence = Assert.IsType<SyncSequence>(m.Commands[1]);
        Assert.Equal("2", sequence.CmdId);
        Assert.Collection(
            sequence.Commands,
            c =>
            {
                var exec = Assert.IsType<SyncExec>(c);
                Assert.Equal("3", exec.CmdId);
                Assert.Equal("./Vendor/MSFT/RemoteLock/LockAndResetPIN", Assert.Single(exec.Items).Target);
            },
            c =>
            {
                var get = Assert.IsType<SyncGet>(c);
                Assert.Equal("4", get.CmdId);
                Assert.Equal("./Vendor/MSFT/RemoteLock/NewPINValue", Assert.Single(get.Items).Target);
            });
    }

    [Fact]
    public void DeviceResults_NewPinValue_AfterStatusesForSequenceExecGet()
    {
        var m = Decode("10-device-results-newpinvalue.xml");
        AssertHeader(m.Header, "2", "2", LatchUrl, DeviceId);
        Assert.Equal(
            [("0", "SyncHdr"), ("2", "Sequence"), ("3", "Exec"), ("4", "Get")],
            m.Commands.OfType<SyncStatus>().Select(s => (s.CmdRef, s.Cmd)));
        var results = Assert.IsType<SyncResults>(m.Commands[^1]);
        Assert.Equal(("5", "4", "Get"), (results.CmdId, results.CmdRef, results.Cmd));
        Assert.Equal(
            new SyncItem { Source = "./Vendor/MSFT/RemoteLock/NewPINValue", Meta = new SyncMeta { Format = "chr" }, Data = "40615928" },
            Assert.Single(results.Items));
    }

    private static SyncMessage Decode(string name) => SyncMessage.Decode(WindowsVectors.Bytes(name));

    private static void AssertHeader(SyncHeader header, string sessionId, string msgId, string target, string source) =>
        Assert.Equal(
            new SyncHeader { SessionId = sessionId, MsgId = msgId, TargetLocUri = target, SourceLocUri = source },
            header);

    private static SyncAlert AssertAlert(SyncCommand command, string cmdId, string code)
    {
        var alert = Assert.IsType<SyncAlert>(command);
        Assert.Equal(cmdId, alert.CmdId);
        Assert.Equal(code, alert.Data);
        return alert;
    }

    private static void AssertDevInfoReplace(SyncCommand command, string cmdId)
    {
        var replace = Assert.IsType<SyncReplace>(command);
        Assert.Equal(cmdId, replace.CmdId);
        Assert.Equal(
            [
                ("./DevInfo/DevId", DeviceId), ("./DevInfo/Man", "VMware, Inc."), ("./DevInfo/Mod", "VMware7,1"),
                ("./DevInfo/DmV", "1.3"), ("./DevInfo/Lang", "en-US"),
            ],
            replace.Items.Select(i => (i.Source, i.Data)));
        Assert.All(replace.Items, i => Assert.Null(i.Target));
    }
}
