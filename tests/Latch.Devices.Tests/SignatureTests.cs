using System.Net;
using System.Net.Http.Headers;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;

namespace Latch.Devices.Tests;

/// <summary>The raw hook that server tests use to check refusals: each signature mode is what it says.</summary>
public sealed class SignatureTests
{
    [Theory]
    [InlineData(SignatureMode.Valid, SignatureVerdict.Valid, HttpStatusCode.OK)]
    [InlineData(SignatureMode.None, SignatureVerdict.Missing, HttpStatusCode.BadRequest)]
    [InlineData(SignatureMode.Forged, SignatureVerdict.Invalid, HttpStatusCode.BadRequest)]
    [InlineData(SignatureMode.OtherIdentity, SignatureVerdict.UnknownSigner, HttpStatusCode.BadRequest)]
    public async Task SendRaw_SignsAsAsked(SignatureMode mode, SignatureVerdict verdict, HttpStatusCode status)
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);

        var response = await run.Device.SendRawAsync(
            run.Device.Profile.CheckInUrl, CheckinMessage.ContentType, run.Device.CreateTokenUpdateMessage(), mode, TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(verdict, run.Server.Signatures[^1].Verdict);
        Assert.Null(run.Device.LastHttpError);
    }

    [Fact]
    public async Task SendRaw_CarriesTheBodyAndContentTypeUnchanged()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.Mac);
        var idle = run.Device.CreateIdleReport();

        var response = await run.Device.SendRawAsync(
            run.Device.Profile.ServerUrl, CommandResponse.ContentType, idle, SignatureMode.Valid, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Body.IsEmpty);
        Assert.True(run.Server.Reports[^1].Raw.Span.SequenceEqual(idle));
    }

    [Fact]
    public async Task CreateSignature_SignedOnce_IsAcceptedEachTimeTheBodyIsSent()
    {
        await using var run = await Enrolled.StartAsync(AppleDeviceKind.IPhone);
        var idle = run.Device.CreateIdleReport();
        var signature = run.Device.CreateSignature(idle);

        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, run.Device.Profile.ServerUrl) { Content = new ByteArrayContent(idle) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(CommandResponse.ContentType);
            request.Headers.TryAddWithoutValidation(SimulatedAppleDevice.SignatureHeaderName, signature);
            using var response = await run.Server.Client.SendAsync(request, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(SignatureVerdict.Valid, run.Server.Signatures[^1].Verdict);
        }
    }
}
