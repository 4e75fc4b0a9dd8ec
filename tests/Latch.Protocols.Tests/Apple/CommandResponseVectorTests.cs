using System.Text;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

public sealed class CommandResponseVectorTests
{
    [Fact]
    public void Idle_HasNoCommandUuid()
    {
        var bytes = Vectors.Bytes("report-Idle-macos.plist");

        var report = CommandResponse.Decode(bytes);

        Assert.Equal(CommandResponseStatus.Idle, report.Status);
        Assert.Equal("55693EB3-DF03-5FD1-9263-F7CDB8AD7FFD", report.UDID);
        Assert.Null(report.CommandUUID);
        Assert.Empty(report.ErrorChain);
        Assert.True(report.Raw.Span.SequenceEqual(bytes));
    }

    [Fact]
    public void Acknowledged_Decodes()
    {
        var report = CommandResponse.Decode(Vectors.Bytes("report-Acknowledged.plist"));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Equal("D053EE3A-EE0E-4E82-87D2-BB3624186694", report.CommandUUID);
        Assert.Equal("6362F867-FFF2-4EA6-905C-3C796DF4EF68", report.UDID);
    }

    [Fact]
    public void Error_DecodesErrorChain()
    {
        var report = CommandResponse.Decode(Vectors.Bytes("report-Error-ErrorChain.plist"));

        Assert.Equal(CommandResponseStatus.Error, report.Status);
        Assert.Equal("D053EE3A-EE0E-4E82-87D2-BB3624186694", report.CommandUUID);
        var error = Assert.Single(report.ErrorChain);
        Assert.Equal(-909, error.ErrorCode);
        Assert.Equal("NSOSStatusErrorDomain", error.ErrorDomain);
        Assert.Equal(" <NSOSStatusErrorDomain:-909>", error.LocalizedDescription);
        Assert.Null(error.USEnglishDescription);
    }

    [Fact]
    public void DeviceInformationAnswer_KeepsQueryResponses()
    {
        var report = CommandResponse.Decode(Vectors.Bytes("report-Acknowledged-DeviceInformation.plist"));

        Assert.Equal(CommandResponseStatus.Acknowledged, report.Status);
        Assert.Equal("76eda240-5488-4989-8339-f2ae160113c4", report.CommandUUID);
        var responses = Assert.IsType<PlistDict>(report.Dict["QueryResponses"]);
        Assert.Equal(new PlistString("fruit.example.com"), responses["HostName"]);
        Assert.Equal(new PlistString("DeviceInformation"), report.Dict["RequestType"]);
    }

    // Synthetic: no public NotNow capture exists (SOURCES.md), so it is the Acknowledged vector with Status NotNow.
    [Fact]
    public void NotNow_Synthetic_Decodes()
    {
        var body = Encoding.UTF8.GetBytes(
            Vectors.Text("report-Acknowledged.plist").Replace("<string>Acknowledged</string>", "<string>NotNow</string>", StringComparison.Ordinal));

        var report = CommandResponse.Decode(body);

        Assert.Equal(CommandResponseStatus.NotNow, report.Status);
        Assert.Equal("D053EE3A-EE0E-4E82-87D2-BB3624186694", report.CommandUUID);
    }

    [Fact]
    public void CommandFormatError_Decodes()
    {
        var report = CommandResponse.Decode(CheckinVectorTests.Dict(("UDID", "u"), ("Status", "CommandFormatError"), ("CommandUUID", "c")));

        Assert.Equal(CommandResponseStatus.CommandFormatError, report.Status);
    }

    [Fact]
    public void UnknownStatus_IsFormatError()
    {
        var ex = Assert.Throws<PlistFormatException>(() =>
            CommandResponse.Decode(CheckinVectorTests.Dict(("UDID", "u"), ("Status", "Done"), ("CommandUUID", "c"))));

        Assert.Contains("Status", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Acknowledged")]
    [InlineData("Error")]
    [InlineData("NotNow")]
    public void NonIdleWithoutCommandUuid_IsFormatError(string status)
    {
        var ex = Assert.Throws<PlistFormatException>(() =>
            CommandResponse.Decode(CheckinVectorTests.Dict(("UDID", "u"), ("Status", status))));

        Assert.Contains("'CommandUUID'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingUdid_IsFormatError()
    {
        var ex = Assert.Throws<PlistFormatException>(() => CommandResponse.Decode(CheckinVectorTests.Dict(("Status", "Idle"))));

        Assert.Contains("'UDID'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorChainItemWithoutDomain_IsFormatError()
    {
        var body = Plist.Write(new PlistDict(
        [
            new("UDID", new PlistString("u")),
            new("Status", new PlistString("Error")),
            new("CommandUUID", new PlistString("c")),
            new("ErrorChain", new PlistArray([new PlistDict([new("ErrorCode", new PlistInteger(1))])])),
        ]));

        var ex = Assert.Throws<PlistFormatException>(() => CommandResponse.Decode(body));

        Assert.Contains("'ErrorDomain'", ex.Message, StringComparison.Ordinal);
    }
}
