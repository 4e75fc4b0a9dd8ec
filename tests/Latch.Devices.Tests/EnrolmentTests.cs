using System.Security.Cryptography;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

public sealed class EnrolmentTests
{
    [Fact]
    public async Task Enrol_IPhone_SendsAuthenticateThenTokenUpdate_AsRealDevicesDo()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone, new SimulatedAppleDeviceOptions { DeviceName = "Ada's iPhone" });
        var device = run.Device;

        var checkins = run.Server.Checkins;
        Assert.Equal(2, checkins.Count);
        var authenticate = Assert.IsType<Authenticate>(checkins[0]);
        Assert.Equal(TestPki.Topic, authenticate.Topic);
        Assert.Equal(device.Udid, authenticate.UDID);
        Assert.Equal("Ada's iPhone", authenticate.DeviceName);
        Assert.Equal("iPhone15,2", authenticate.ProductName);
        Assert.Equal("iPhone", authenticate.ModelName);
        Assert.NotNull(authenticate.Model);
        Assert.Equal(device.SerialNumber, authenticate.SerialNumber);
        Assert.Matches("^[0-9]+(\\.[0-9]+)+$", authenticate.OSVersion);
        Assert.False(string.IsNullOrEmpty(authenticate.BuildVersion));
        Assert.Matches("^35 [0-9]{6} [0-9]{6} [0-9]$", authenticate.IMEI);
        Assert.Matches("^00008120-[0-9A-F]{16}$", device.Udid);

        var tokenUpdate = Assert.IsType<TokenUpdate>(checkins[1]);
        Assert.Equal(TestPki.Topic, tokenUpdate.Topic);
        Assert.Equal(device.Udid, tokenUpdate.UDID);
        Assert.Equal(32, tokenUpdate.Token.Length);
        Assert.Equal(device.PushToken, Convert.ToHexStringLower(tokenUpdate.Token.Span));
        Assert.True(Guid.TryParse(tokenUpdate.PushMagic, out _));
        Assert.Equal(device.PushMagic, tokenUpdate.PushMagic);
        Assert.False(tokenUpdate.AwaitingConfiguration);
        Assert.True(tokenUpdate.Dict.ContainsKey("AwaitingConfiguration"));
        Assert.NotNull(tokenUpdate.UnlockToken);
        Assert.True(tokenUpdate.UnlockToken.Value.Span.SequenceEqual(device.UnlockToken!.Value.Span));
        Assert.True(tokenUpdate.UnlockToken.Value.Span.StartsWith("DATA"u8));
        Assert.True(device.IsEnrolled);
    }

    [Fact]
    public async Task Enrol_SignsEveryRequest_Sha256_DetachedWithTheIdentityOnly()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPad);
        await run.Device.RunSessionAsync(TestContext.Current.CancellationToken);

        var signatures = run.Server.Signatures;
        Assert.Equal(3, signatures.Count);
        Assert.All(signatures, s =>
        {
            Assert.Equal(SignatureVerdict.Valid, s.Verdict);
            Assert.Equal(HashAlgorithmName.SHA256.Name, Oid(s.DigestOid));
            Assert.Equal(1, s.CertificateCount);
        });
        Assert.Equal(["/mdm/checkin", "/mdm/checkin", "/mdm/server"], signatures.Select(s => s.Path));
    }

    [Fact]
    public async Task Enrol_IPad_SendsUnlockTokenButNoImei()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPad);

        var authenticate = Assert.IsType<Authenticate>(run.Server.Checkins[0]);
        Assert.Equal("iPad13,1", authenticate.ProductName);
        Assert.Equal("iPad", authenticate.ModelName);
        Assert.Null(authenticate.IMEI);
        Assert.NotNull(Assert.IsType<TokenUpdate>(run.Server.Checkins[1]).UnlockToken);
    }

    [Fact]
    public async Task Enrol_Mac_SendsNoUnlockTokenAndNoImei()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        var authenticate = Assert.IsType<Authenticate>(run.Server.Checkins[0]);
        Assert.Equal("Mac14,2", authenticate.ProductName);
        Assert.Null(authenticate.IMEI);
        Assert.True(Guid.TryParse(authenticate.UDID, out _));
        var tokenUpdate = Assert.IsType<TokenUpdate>(run.Server.Checkins[1]);
        Assert.Null(tokenUpdate.UnlockToken);
        Assert.False(tokenUpdate.Dict.ContainsKey("UnlockToken"));
        Assert.Null(run.Device.UnlockToken);
    }

    [Fact]
    public async Task Enrol_RefusedAuthenticate_ThrowsWithTheStatus_AndSendsNoTokenUpdate()
    {
        await using var server = await FakeMdmServer.StartAsync();
        server.Refuse = (path, _) => path == "/mdm/checkin" ? 403 : null;
        using var device = new SimulatedAppleDevice(server.Profile(), AppleDeviceKind.IPhone, server.Client);

        var error = await Assert.ThrowsAsync<AppleMdmRequestException>(() => device.EnrollAsync(TestContext.Current.CancellationToken));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, error.Error!.StatusCode);
        Assert.Equal("Authenticate", error.Error.Request);
        Assert.Same(error.Error, device.LastHttpError);
        Assert.False(device.IsEnrolled);
        Assert.Empty(server.Checkins);
    }

    [Fact]
    public async Task CheckOut_SendsCheckOut_AndEndsTheEnrolment()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);

        await run.Device.CheckOutAsync(TestContext.Current.CancellationToken);

        var checkOut = Assert.IsType<CheckOut>(run.Server.Checkins[^1]);
        Assert.Equal(run.Device.Udid, checkOut.UDID);
        Assert.Equal(TestPki.Topic, checkOut.Topic);
        Assert.False(run.Device.IsEnrolled);
        await Assert.ThrowsAsync<InvalidOperationException>(() => run.Device.RunSessionAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RenewUnlockToken_IsSentWithTheNextTokenUpdate()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var first = run.Device.UnlockToken!.Value.ToArray();

        run.Device.RenewUnlockToken();
        await run.Device.SendTokenUpdateAsync(TestContext.Current.CancellationToken);

        var latest = Assert.IsType<TokenUpdate>(run.Server.Checkins[^1]);
        Assert.False(latest.UnlockToken!.Value.Span.SequenceEqual(first));
        Assert.True(latest.UnlockToken.Value.Span.SequenceEqual(run.Device.UnlockToken!.Value.Span));
        Assert.Equal(run.Device.PushMagic, latest.PushMagic);
    }

    [Fact]
    public async Task Profile_WithoutSignMessage_SendsNoSignatureHeader()
    {
        await using var server = await FakeMdmServer.StartAsync();
        using var device = new SimulatedAppleDevice(server.Profile(signMessage: false), AppleDeviceKind.IPhone, server.Client);

        await Assert.ThrowsAsync<AppleMdmRequestException>(() => device.EnrollAsync(TestContext.Current.CancellationToken));

        Assert.Equal(SignatureVerdict.Missing, Assert.Single(server.Signatures).Verdict);
    }

    private static string? Oid(string? value) => value == "2.16.840.1.101.3.4.2.1" ? HashAlgorithmName.SHA256.Name : value;
}
