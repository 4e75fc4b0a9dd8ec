using System.Text;
using Latch.Protocols.Apple;

namespace Latch.Protocols.Tests.Apple;

public sealed class CommandTests
{
    private const string Uuid = "0F1D1D1E-7C4C-4A8B-9C1A-2D3E4F506172";

    [Fact]
    public void DeviceLock_WithAllKeys_ReadsBackTheSameValues()
    {
        var sent = new DeviceLock(Uuid) { Message = "Lost <phone> & more", PhoneNumber = "+44 20 7946 0000", PIN = "123456" };

        var read = Assert.IsType<DeviceLock>(MdmCommand.Decode(sent.Encode()));

        Assert.Equal(Uuid, read.CommandUUID);
        Assert.Equal("DeviceLock", read.RequestType);
        Assert.Equal(sent.Message, read.Message);
        Assert.Equal(sent.PhoneNumber, read.PhoneNumber);
        Assert.Equal(sent.PIN, read.PIN);
        Assert.False(read.Raw.IsEmpty);
    }

    [Fact]
    public void DeviceLock_WithoutOptions_EmitsOnlyRequestType()
    {
        var body = new DeviceLock(Uuid).Encode();

        var command = Assert.IsType<PlistDict>(Assert.IsType<PlistDict>(Plist.Read(body))["Command"]);

        Assert.Equal(["RequestType"], command.Entries.Select(e => e.Key));
        var read = Assert.IsType<DeviceLock>(MdmCommand.Decode(body));
        Assert.Null(read.Message);
        Assert.Null(read.PhoneNumber);
        Assert.Null(read.PIN);
    }

    [Fact]
    public void ClearPasscode_CarriesTheUnlockTokenFromTokenUpdate()
    {
        var tokenUpdate = (TokenUpdate)CheckinMessage.Decode(Vectors.Bytes("checkin-TokenUpdate-ios-with-UnlockToken.plist"));
        var sent = new ClearPasscode(Uuid, tokenUpdate.UnlockToken!.Value);

        var read = Assert.IsType<ClearPasscode>(MdmCommand.Decode(sent.Encode()));

        Assert.Equal(Uuid, read.CommandUUID);
        Assert.Equal(tokenUpdate.UnlockToken.Value.ToArray(), read.UnlockToken.ToArray());
    }

    [Fact]
    public void ClearPasscode_WithoutUnlockToken_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new ClearPasscode(Uuid, ReadOnlyMemory<byte>.Empty));

    [Fact]
    public void DeviceInformation_ReadsBackQueries()
    {
        var read = Assert.IsType<DeviceInformation>(MdmCommand.Decode(new DeviceInformation(Uuid, ["UDID", "OSVersion"]).Encode()));

        Assert.Equal(["UDID", "OSVersion"], read.Queries);
    }

    [Fact]
    public void SecurityInfo_ReadsBack()
    {
        var read = Assert.IsType<SecurityInfo>(MdmCommand.Decode(new SecurityInfo(Uuid).Encode()));

        Assert.Equal("SecurityInfo", read.RequestType);
        Assert.Equal(Uuid, read.CommandUUID);
    }

    [Fact]
    public void Encode_WritesTheStandardDocumentShape()
    {
        var text = Encoding.UTF8.GetString(new SecurityInfo(Uuid).Encode());

        Assert.StartsWith(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n",
            text,
            StringComparison.Ordinal);
        var root = Assert.IsType<PlistDict>(Plist.Read(Encoding.UTF8.GetBytes(text)));
        Assert.Equal(["Command", "CommandUUID"], root.Entries.Select(e => e.Key));
    }

    [Fact]
    public void InstallProfileVector_DecodesAsGenericCommand()
    {
        var bytes = Vectors.Bytes("command-InstallProfile.plist");

        var command = Assert.IsType<GenericCommand>(MdmCommand.Decode(bytes));

        Assert.Equal("InstallProfile", command.RequestType);
        Assert.Equal("7e761ec5-9e20-42d1-9072-3d5a611e3ac5", command.CommandUUID);
        Assert.Equal("foobarbaz"u8.ToArray(), Assert.IsType<PlistData>(command.Command["Payload"]).Value.ToArray());
        Assert.True(command.Raw.Span.SequenceEqual(bytes));
        // Re-encoding a generic command keeps its plist value.
        Assert.Equal(Plist.Read(bytes), Plist.Read(command.Encode()));
    }

    [Theory]
    [InlineData("<dict><key>CommandUUID</key><string>x</string></dict>", "'Command'")]
    [InlineData("<dict><key>Command</key><dict/><key>CommandUUID</key><string>x</string></dict>", "'RequestType'")]
    [InlineData("<dict><key>Command</key><dict><key>RequestType</key><string>SecurityInfo</string></dict></dict>", "'CommandUUID'")]
    [InlineData("<dict><key>Command</key><dict><key>RequestType</key><string>ClearPasscode</string></dict><key>CommandUUID</key><string>x</string></dict>", "'UnlockToken'")]
    public void CommandMissingKey_IsFormatErrorNamingTheKey(string body, string key)
    {
        var ex = Assert.Throws<PlistFormatException>(() => MdmCommand.Decode(Encoding.UTF8.GetBytes($"<plist version=\"1.0\">{body}</plist>")));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, MdmCommand> SchemaCases => new()
    {
        { "device.lock.yaml", new DeviceLock(Uuid) { Message = "m", PhoneNumber = "p", PIN = "123456" } },
        { "device.lock.yaml", new DeviceLock(Uuid) },
        { "passcode.clear.yaml", new ClearPasscode(Uuid, new byte[] { 1, 2, 3 }) },
    };

    // Apple's own schema (apple/device-management) is the judge of key names and types.
    [Theory]
    [MemberData(nameof(SchemaCases))]
    public void EmittedCommand_MatchesAppleSchema(string schemaFile, MdmCommand sent)
    {
        var schema = AppleSchema.Load(schemaFile);
        Assert.NotEmpty(schema.PayloadKeys);
        var command = Assert.IsType<PlistDict>(Assert.IsType<PlistDict>(Plist.Read(sent.Encode()))["Command"]);

        Assert.Equal(new PlistString(schema.RequestType), command["RequestType"]);
        foreach (var (key, value) in command.Entries.Where(e => e.Key != "RequestType"))
        {
            var declared = schema.PayloadKeys.SingleOrDefault(k => k.Key == key);
            Assert.True(declared is not null, $"{key} is not declared in {schemaFile}");
            Assert.Equal(declared.Type, TypeName(value));
        }

        foreach (var required in schema.PayloadKeys.Where(k => k.Presence == "required"))
        {
            Assert.True(command.ContainsKey(required.Key), $"required {required.Key} is missing");
        }
    }

    [Fact]
    public void SchemaReader_ReadsApplesDeclarations()
    {
        Assert.Equal(
            [new("Message", "<string>", "optional"), new("PhoneNumber", "<string>", "optional"), new AppleSchemaKey("PIN", "<string>", "optional")],
            AppleSchema.Load("device.lock.yaml").PayloadKeys);
        var clear = AppleSchema.Load("passcode.clear.yaml");
        Assert.Equal("ClearPasscode", clear.RequestType);
        Assert.Equal([new AppleSchemaKey("UnlockToken", "<data>", "required")], clear.PayloadKeys);
    }

    private static string TypeName(PlistValue value) => value switch
    {
        PlistString => "<string>",
        PlistData => "<data>",
        PlistInteger => "<integer>",
        PlistBoolean => "<boolean>",
        PlistReal => "<real>",
        PlistDate => "<date>",
        PlistArray => "<array>",
        PlistDict => "<dictionary>",
        _ => value.GetType().Name,
    };
}
