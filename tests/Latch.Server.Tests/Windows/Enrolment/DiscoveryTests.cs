using System.Net;
using System.Text;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Windows.Enrollment;

namespace Latch.Server.Tests.Windows.Enrolment;

internal static class Vectors
{
    public static byte[] Enrollment(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "vectors", "windows-enrollment", name));

    public static string Windows(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "windows", name));
}

/// <summary>MS-MDE2 §3.1 discovery with the default OnPremise policy, and the refusals every enrolment endpoint shares.</summary>
public sealed class DiscoveryTests(WindowsEnrolmentServer server) : IClassFixture<WindowsEnrolmentServer>
{
    private string Url(string path) => server.BaseUrl + path.TrimStart('/');

    [Fact]
    public async Task Get_Is200()
    {
        var response = await server.App.CreateClient().GetAsync(WindowsEnrollmentApi.DiscoveryPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("01-device-discover-v4.xml", "4.0")]
    [InlineData("07-spec-discover-v3.xml", "3.0")]
    public async Task TheVectors_AreAnsweredOnPremise_InTheirVersion_WithThisServersUrls(string vector, string version)
    {
        var request = DiscoverRequest.Decode(Vectors.Enrollment(vector));
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, Vectors.Enrollment(vector));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/soap+xml", response.Content.Headers.ContentType?.MediaType);
        var answer = DiscoverResponse.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(request.MessageId, answer.RelatesTo);
        Assert.Equal(EnrollmentAuthPolicies.OnPremise, answer.AuthPolicy);
        Assert.Equal(version, answer.EnrollmentVersion);
        Assert.Equal(Url(WindowsEnrollmentApi.PolicyPath), answer.EnrollmentPolicyServiceUrl);
        Assert.Equal(Url(WindowsEnrollmentApi.EnrollmentPath), answer.EnrollmentServiceUrl);
        Assert.Null(answer.AuthenticationServiceUrl);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    [InlineData("3.0")]
    [InlineData("4.0")]
    [InlineData("5.0")]
    public async Task EachVersion_IsAnsweredInThatVersion(string version)
    {
        // Windows Phone 8.1 and Windows 8.1 clients (1.0, 2.0) send no AuthPolicies.
        var policies = string.CompareOrdinal(version, "3.0") < 0 ? Array.Empty<string>() : null;
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, DeviceMessages.Discover(server.BaseUrl, version, policies));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = DiscoverResponse.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(version, answer.EnrollmentVersion);
        Assert.Equal(EnrollmentAuthPolicies.OnPremise, answer.AuthPolicy);
    }

    [Fact]
    public async Task ADeviceOfferingOnlyCertificate_IsRefused()
    {
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath,
            DeviceMessages.Discover(server.BaseUrl, "4.0", [EnrollmentAuthPolicies.Certificate]));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
    }

    [Fact]
    public async Task MalformedXml_IsAMessageFormatFault()
    {
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, "<s:Envelope xmlns:s=\"oops\"><unclosed>"u8.ToArray());
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
    }

    [Fact]
    public async Task NotXmlAtAll_IsAMessageFormatFault()
    {
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.EnrollmentPath, [0xFF, 0xFE, 0x00, 0x01, 0x02]);
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
    }

    [Fact]
    public async Task ADoctypeIsRefused_NoEntityIsExpanded()
    {
        var before = await server.CountsAsync();
        var xml = Encoding.UTF8.GetString(Vectors.Enrollment("01-device-discover-v4.xml"));
        var withDoctype = "<!DOCTYPE s:Envelope [<!ENTITY e \"x\">]>" + xml[xml.IndexOf("<s:Envelope", StringComparison.Ordinal)..];
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, Encoding.UTF8.GetBytes(withDoctype));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
    }

    [Fact]
    public async Task TheWrongAction_IsAMessageFormatFault()
    {
        var before = await server.CountsAsync();
        // A GetPolicies sent to the discovery service.
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath,
            DeviceMessages.GetPolicies(server.BaseUrl, new EnrollmentCredentials { Username = "a@b.c", Password = "x" }));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);

        // A Discover body under another Action.
        var xml = Encoding.UTF8.GetString(Vectors.Enrollment("01-device-discover-v4.xml"))
            .Replace(EnrollmentSoap.DiscoverAction, EnrollmentSoap.GetPoliciesAction, StringComparison.Ordinal);
        before = await server.CountsAsync();
        response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, Encoding.UTF8.GetBytes(xml));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
    }

    [Theory]
    [InlineData("/EnrollmentServer/Discovery.svc", "text/xml; charset=utf-8")]
    [InlineData("/EnrollmentServer/Policy.svc", "application/json")]
    [InlineData("/EnrollmentServer/Enrollment.svc", "application/xml")]
    public async Task TheWrongContentType_Is415_AndNothingIsWritten(string path, string contentType)
    {
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(path, Vectors.Enrollment("01-device-discover-v4.xml"), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(before, await server.CountsAsync());
    }
}

/// <summary>Discovery with <c>Windows:AuthPolicy=Federated</c>.</summary>
public sealed class FederatedDiscoveryTests(FederatedWindowsEnrolmentServer server) : IClassFixture<FederatedWindowsEnrolmentServer>
{
    [Fact]
    public async Task TheAnswerIsFederated_WithTheSignInPage()
    {
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, Vectors.Enrollment("01-device-discover-v4.xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = DiscoverResponse.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(EnrollmentAuthPolicies.Federated, answer.AuthPolicy);
        Assert.Equal(server.BaseUrl + FederatedSignIn.Path.TrimStart('/'), answer.AuthenticationServiceUrl);
        Assert.Equal(server.BaseUrl + WindowsEnrollmentApi.EnrollmentPath.TrimStart('/'), answer.EnrollmentServiceUrl);
    }
}

/// <summary>Bodies over <c>Windows:MaxMessageBytes</c>.</summary>
public sealed class OversizedEnrolmentMessageTests(SmallMessagesWindowsEnrolmentServer server) : IClassFixture<SmallMessagesWindowsEnrolmentServer>
{
    [Theory]
    [InlineData("/EnrollmentServer/Discovery.svc")]
    [InlineData("/EnrollmentServer/Policy.svc")]
    [InlineData("/EnrollmentServer/Enrollment.svc")]
    public async Task ABodyOverTheLimit_IsAMessageFormatFault(string path)
    {
        var before = await server.CountsAsync();
        var xml = Encoding.UTF8.GetString(Vectors.Enrollment("01-device-discover-v4.xml"));
        var padded = xml.Replace("</s:Envelope>", $"<!-- {new string('x', SmallMessagesWindowsEnrolmentServer.MaxMessageBytes)} --></s:Envelope>",
            StringComparison.Ordinal);
        var response = await server.PostSoapAsync(path, Encoding.UTF8.GetBytes(padded));
        var fault = await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
        Assert.Contains("larger than", fault.Reason);
    }

    [Fact]
    public async Task ABodyWithoutALength_OverTheLimit_IsAMessageFormatFault()
    {
        var before = await server.CountsAsync();
        var body = new byte[SmallMessagesWindowsEnrolmentServer.MaxMessageBytes * 3];
        Array.Fill(body, (byte)' ');
        var content = new StreamContent(new UnseekableStream(body));
        content.Headers.TryAddWithoutValidation("Content-Type", WindowsEnrolmentServer.SoapContentType);
        var response = await server.App.CreateClient().PostAsync(WindowsEnrollmentApi.DiscoveryPath, content);
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
    }

    [Fact]
    public async Task ABodyUnderTheLimit_IsAnswered()
    {
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.DiscoveryPath, Vectors.Enrollment("01-device-discover-v4.xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // A body whose length HttpClient cannot know, so it is sent without Content-Length.
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
