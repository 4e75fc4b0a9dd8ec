using System.Text;
using System.Text.Json.Nodes;
using Latch.Protocols.Android;
using Xunit;

namespace Latch.Protocols.Tests.Android;

public sealed class AndroidJsonTests
{
    private const string Facts =
        """{"androidVersion":"6.0.1","apiLevel":23,"managementMode":"DEVICE_ADMIN","passcodeSet":true,"model":"Nexus 5","manufacturer":"LGE","serial":"S1","imei":"356938035643809","pushToken":"fcm-1"}""";

    private static ReadOnlyMemory<byte> Bytes(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void Enroll_Decodes_AndKeepsRawBytes()
    {
        var raw = Bytes($$"""{"userPrincipalName":"ada@example.com","enrollmentCode":"ABCD-EFGH","facts":{{Facts}}}""");
        var message = AndroidJson.DecodeEnroll(raw);
        Assert.Equal(23, message.Body.Facts.ApiLevel);
        Assert.Equal(ManagementMode.DeviceAdmin, message.Body.Facts.ManagementMode);
        Assert.Equal("fcm-1", message.Body.Facts.PushToken);
        Assert.True(raw.Span.SequenceEqual(message.Raw.Span));
    }

    [Theory]
    [InlineData("""{"facts":{"androidVersion":"7.0","apiLevel":24,"managementMode":"DEVICE_ADMIN","passcodeSet":true,"colour":"red"}}""")] // unknown field
    [InlineData("""{"facts":{"androidVersion":"7.0","apiLevel":24,"managementMode":"DEVICE_ADMIN","passcodeSet":true},"extra":1}""")]
    [InlineData("""{"facts":{"androidVersion":"7.0","apiLevel":24,"managementMode":"FULLY_MANAGED","passcodeSet":true}}""")] // unknown mode
    [InlineData("""{"facts":{"androidVersion":"7.0","managementMode":"DEVICE_ADMIN","passcodeSet":true}}""")] // apiLevel missing
    [InlineData("""{"facts":{"androidVersion":null,"apiLevel":24,"managementMode":"DEVICE_ADMIN","passcodeSet":true}}""")]
    [InlineData("""{"facts":{"androidVersion":"7.0","apiLevel":0,"managementMode":"DEVICE_ADMIN","passcodeSet":true}}""")]
    [InlineData("""{"facts":""")]
    [InlineData("""null""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public void Checkin_Malformed_IsRefused(string json) =>
        Assert.Throws<AndroidFormatException>(() => AndroidJson.DecodeCheckin(Bytes(json)));

    [Fact]
    public void Body_TooLarge_IsRefused()
    {
        var json = $$"""{"facts":{{Facts.Replace("\"S1\"", "\"" + new string('x', AndroidJson.MaxBodyBytes) + "\"", StringComparison.Ordinal)}}}""";
        Assert.Throws<AndroidFormatException>(() => AndroidJson.DecodeCheckin(Bytes(json)));
    }

    [Fact]
    public void Results_Several_Decode_AndFailedNeedsAnErrorCode()
    {
        var id1 = Guid.NewGuid();
        var id2 = Guid.NewGuid();
        var message = AndroidJson.DecodeResults(Bytes(
            $$"""{"results":[{"commandId":"{{id1}}","state":"DONE"},{"commandId":"{{id2}}","state":"FAILED","errorCode":"API_LEVEL","errorMessage":"resetPassword is not allowed"}]}"""));
        Assert.Equal(2, message.Body.Results.Count);
        Assert.Equal(CommandErrorCode.ApiLevel, message.Body.Results[1].ErrorCode);

        Assert.Throws<AndroidFormatException>(() => AndroidJson.DecodeResults(Bytes($$"""{"results":[{"commandId":"{{id1}}","state":"FAILED"}]}""")));
        Assert.Throws<AndroidFormatException>(() => AndroidJson.DecodeResults(Bytes("""{"results":[{"commandId":"not-an-id","state":"DONE"}]}""")));
        Assert.Throws<AndroidFormatException>(() => AndroidJson.DecodeResults(Bytes("""{"results":[]}""")));
    }

    [Fact]
    public void Commands_Encode_WithWireNames_AndOmitNulls()
    {
        var bytes = AndroidJson.Encode(new CommandsResponse
        {
            PollTimeoutSeconds = 60,
            Commands =
            [
                new AndroidCommand { CommandId = "c1", Type = AndroidCommandType.Lock },
                new AndroidCommand { CommandId = "c2", Type = AndroidCommandType.ResetPassword, NewPassword = "482913" },
            ],
        }, AndroidJsonContext.Default.CommandsResponse);
        var json = JsonNode.Parse(bytes)!;
        Assert.Equal("LOCK", (string?)json["commands"]![0]!["type"]);
        Assert.Null(json["commands"]![0]!.AsObject()["newPassword"]);
        Assert.Equal("RESET_PASSWORD", (string?)json["commands"]![1]!["type"]);
        Assert.Equal("482913", (string?)json["commands"]![1]!["newPassword"]);
        Assert.Equal(60, (int?)json["pollTimeoutSeconds"]);
    }

    [Fact]
    public void Command_Printed_WithholdsThePasscode() =>
        Assert.DoesNotContain("482913", new AndroidCommand { CommandId = "c", Type = AndroidCommandType.ResetPassword, NewPassword = "482913" }.ToString(),
            StringComparison.Ordinal);

    [Fact]
    public void Error_HasTheOneShape()
    {
        var json = JsonNode.Parse(AndroidJson.Error(AndroidErrorCodes.Unauthenticated, "Enrol again."))!;
        Assert.Equal("UNAUTHENTICATED", (string?)json["error"]!["code"]);
        Assert.Equal("Enrol again.", (string?)json["error"]!["message"]);
        Assert.Single(json.AsObject());
    }
}
