using System.Text;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

public sealed class CheckinVectorTests
{
    [Fact]
    public void Authenticate_Ios_DecodesDeviceFacts()
    {
        var bytes = Vectors.Bytes("checkin-Authenticate-ios.plist");

        var message = Assert.IsType<Authenticate>(CheckinMessage.Decode(bytes));

        Assert.Equal("Authenticate", message.MessageType);
        Assert.Equal("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69", message.UDID);
        Assert.Equal("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69", message.EnrollmentIdentifier);
        Assert.Null(message.EnrollmentID);
        Assert.Equal("com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9", message.Topic);
        Assert.Equal("9.3.5", message.OSVersion);
        Assert.Equal("13G36", message.BuildVersion);
        Assert.Equal("iPad2,5", message.ProductName);
        Assert.Equal("F5JM992LF193", message.SerialNumber);
        Assert.Null(message.IMEI);
        Assert.Null(message.MEID);
        Assert.Null(message.DeviceName);
        Assert.True(message.Raw.Span.SequenceEqual(bytes));
    }

    [Fact]
    public void Authenticate_Macos_DecodesNameAndModel()
    {
        var message = Assert.IsType<Authenticate>(CheckinMessage.Decode(Vectors.Bytes("checkin-Authenticate-macos.plist")));

        Assert.Equal("66ADE930-5FDF-5EC4-8429-15640684C489", message.UDID);
        Assert.Equal("Fruit", message.DeviceName);
        Assert.Equal("iMac14,2", message.Model);
        Assert.Equal("iMac", message.ModelName);
        Assert.Equal("10.12.6", message.OSVersion);
        Assert.Equal("16G2136", message.BuildVersion);
        Assert.Equal("C02MT66KFLHH", message.SerialNumber);
        // Unmodelled keys stay reachable through the dict.
        Assert.Equal("apple"u8.ToArray(), Assert.IsType<PlistData>(message.Dict["Challenge"]).Value.ToArray());
    }

    [Fact]
    public void TokenUpdate_IosWithUnlockToken_DecodesTokens()
    {
        var bytes = Vectors.Bytes("checkin-TokenUpdate-ios-with-UnlockToken.plist");

        var message = Assert.IsType<TokenUpdate>(CheckinMessage.Decode(bytes));

        Assert.Equal("663b07bb783e9ade1dae4fbb92ea12afc0ce5b69", message.UDID);
        Assert.Equal("com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9", message.Topic);
        Assert.Equal("CEFDF0BD-E342-4A27-8742-E930EA116B0A", message.PushMagic);
        Assert.Equal(32, message.Token.Length);
        Assert.Equal(Convert.FromBase64String("R+juwGLC9ynsFwPBs+GPGXHYXwC+dkRdNAgLqnAbX1E="), message.Token.ToArray());
        Assert.NotNull(message.UnlockToken);
        var unlockToken = message.UnlockToken.Value;
        Assert.Equal(1288, unlockToken.Length);
        Assert.Equal("DATA", Encoding.ASCII.GetString(unlockToken.Span[..4]));
        Assert.False(message.AwaitingConfiguration);
        Assert.True(message.Raw.Span.SequenceEqual(bytes));
    }

    [Fact]
    public void TokenUpdate_Macos_HasNoUnlockToken()
    {
        var message = Assert.IsType<TokenUpdate>(CheckinMessage.Decode(Vectors.Bytes("checkin-TokenUpdate-macos.plist")));

        Assert.Equal("66ADE930-5FDF-5EC4-8429-15640684C489", message.UDID);
        Assert.Equal("888CEB39-BFFA-40F6-89FA-B60752EB63C2", message.PushMagic);
        Assert.Equal(32, message.Token.Length);
        Assert.Null(message.UnlockToken);
    }

    [Fact]
    public void CheckOut_Macos_Decodes()
    {
        var message = Assert.IsType<CheckOut>(CheckinMessage.Decode(Vectors.Bytes("checkin-CheckOut-macos.plist")));

        Assert.Equal("CheckOut", message.MessageType);
        Assert.Equal("A5EF1BA1-586D-4F29-B4F3-759DADAC2DDD", message.UDID);
        Assert.Equal("com.apple.mgmt.External.3a7c95f2-c214-4b53-a585-a553c2623e04", message.Topic);
    }

    [Fact]
    public void UnknownMessageType_DecodesAsOtherCheckin()
    {
        var body = Dict(("MessageType", "GetBootstrapToken"), ("UDID", "u1"), ("Topic", "t"));

        var message = Assert.IsType<OtherCheckin>(CheckinMessage.Decode(body));

        Assert.Equal("GetBootstrapToken", message.MessageType);
        Assert.Equal("u1", message.UDID);
        Assert.Equal(3, message.Dict.Count);
    }

    [Fact]
    public void UserEnrollment_EnrollmentIdStandsInForUdid()
    {
        var body = Dict(("MessageType", "Authenticate"), ("EnrollmentID", "E-1"), ("Topic", "t"));

        var message = Assert.IsType<Authenticate>(CheckinMessage.Decode(body));

        Assert.Null(message.UDID);
        Assert.Equal("E-1", message.EnrollmentIdentifier);
    }

    [Theory]
    [InlineData("MessageType", "UDID=u", "Topic=t")]
    [InlineData("UDID", "MessageType=CheckOut", "Topic=t")]
    [InlineData("Topic", "MessageType=Authenticate", "UDID=u")]
    [InlineData("Topic", "MessageType=TokenUpdate", "UDID=u", "PushMagic=p")]
    [InlineData("PushMagic", "MessageType=TokenUpdate", "UDID=u", "Topic=t")]
    public void MissingRequiredKey_IsFormatErrorNamingTheKey(string missing, params string[] pairs)
    {
        var entries = pairs.Select(p => p.Split('=')).Select(p => (p[0], p[1])).ToList();
        var body = Dict([.. entries]);

        var ex = Assert.Throws<PlistFormatException>(() => CheckinMessage.Decode(body));

        Assert.Contains($"'{missing}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenUpdateWithoutToken_IsFormatErrorNamingToken()
    {
        var body = Dict(("MessageType", "TokenUpdate"), ("UDID", "u"), ("Topic", "t"), ("PushMagic", "p"));

        var ex = Assert.Throws<PlistFormatException>(() => CheckinMessage.Decode(body));

        Assert.Contains("'Token'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TokenAsString_IsFormatError()
    {
        var body = Dict(("MessageType", "TokenUpdate"), ("UDID", "u"), ("Topic", "t"), ("PushMagic", "p"), ("Token", "abc"));

        var ex = Assert.Throws<PlistFormatException>(() => CheckinMessage.Decode(body));

        Assert.Contains("'Token' must be a <data>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootArray_IsFormatError()
    {
        var body = Plist.Write(new PlistArray([new PlistString("x")]));

        Assert.Throws<PlistFormatException>(() => CheckinMessage.Decode(body));
    }

    internal static byte[] Dict(params (string Key, string Value)[] entries) =>
        Plist.Write(new PlistDict(entries.Select(e => new KeyValuePair<string, PlistValue>(e.Key, new PlistString(e.Value)))));
}
