using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Windows.Enrollment;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary>MS-MDE2 Federated: Latch's sign-in page hands the device a token, which then enrols it.</summary>
public sealed partial class FederatedEnrolmentTests(FederatedWindowsEnrolmentServer server) : IClassFixture<FederatedWindowsEnrolmentServer>
{
    private const string BrokerReturn = "ms-app://s-1-15-2-1";

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]*)\">")]
    private static partial Regex FormAction();

    [GeneratedRegex("name=\"wresult\" value=\"([^\"]*)\"")]
    private static partial Regex Wresult();

    private Task<HttpResponseMessage> SignInAsync(string upn, string code, string appru = BrokerReturn) =>
        server.App.CreateClient().PostAsync(FederatedSignIn.Path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["appru"] = appru, ["upn"] = upn, ["code"] = code,
        }));

    private async Task<string> TokenAsync(IssuedCode code)
    {
        var response = await SignInAsync(code.UserPrincipalName, code.Code);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(BrokerReturn, WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value));
        var token = WebUtility.HtmlDecode(Wresult().Match(html).Groups[1].Value);
        Assert.False(string.IsNullOrEmpty(token), html);
        return token;
    }

    private static EnrollmentCredentials Federated(string token) =>
        new() { FederatedToken = token, FederatedTokenValueType = EnrollmentSoap.UserTokenValueType };

    [Theory]
    [InlineData("ms-app://s-1-15-2-1")]
    [InlineData("ms-appx-web://Microsoft.AAD.BrokerPlugin")]
    public async Task ThePage_ForTheBrokersReturn_Is200_WithAForm(string appru)
    {
        var response = await server.App.CreateClient().GetAsync(
            $"{FederatedSignIn.Path}?appru={Uri.EscapeDataString(appru)}&login_hint={Uri.EscapeDataString(WindowsEnrolmentServer.Ada)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<form method=\"post\"", html);
        Assert.Contains("name=\"code\"", html);
        Assert.Contains(WindowsEnrolmentServer.Ada, WebUtility.HtmlDecode(html));
    }

    [Fact]
    public async Task ThePage_EncodesWhatItEchoes()
    {
        const string hint = "\"><script>alert(1)</script>";
        const string appru = "ms-app://s-1-15-2-1/\"onmouseover=\"alert(1)";
        var response = await server.App.CreateClient().GetAsync(
            $"{FederatedSignIn.Path}?appru={Uri.EscapeDataString(appru)}&login_hint={Uri.EscapeDataString(hint)}");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("\"onmouseover", html);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("")]
    public async Task ThePage_ForAnyOtherReturn_Is400(string appru)
    {
        var response = await server.App.CreateClient().GetAsync($"{FederatedSignIn.Path}?appru={Uri.EscapeDataString(appru)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SignInAsync(WindowsEnrolmentServer.Ada, "x", appru)).StatusCode);
    }

    [Fact]
    public async Task TheToken_EnrolsTheDevice()
    {
        var code = await server.IssueCodeAsync(WindowsEnrolmentServer.Grace);
        var token = await TokenAsync(code);
        Assert.Null(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));

        await server.GetPoliciesAsync(Federated(token));
        using var key = RSA.Create(2048);
        var context = DeviceMessages.Context();
        var response = await server.RequestSecurityTokenAsync(Federated(token), DeviceMessages.Pkcs10(key), context);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var info = WindowsProvisioning.Read(RequestSecurityTokenResponse.Decode(await response.Content.ReadAsByteArrayAsync()).ReadProvisioningDocument());
        Assert.NotNull(info.DeviceCertificate);
        var deviceId = DeviceMessages.ValueOf(context, "DeviceID");
        var owner = await server.DbAsync(db => db.WindowsEnrollments.Where(e => e.DeviceIdentifier == deviceId)
            .Join(db.Devices, e => e.DeviceId, d => d.Id, (e, d) => d.OwnerId).SingleAsync());
        Assert.Equal(Core.Demo.DemoFleet.Grace, owner);
        Assert.NotNull(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));

        // The token is as single-use as the code inside it.
        var before = await server.CountsAsync();
        response = await server.RequestSecurityTokenAsync(Federated(token), DeviceMessages.Pkcs10(key), DeviceMessages.Context());
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
    }

    [Fact]
    public async Task ATamperedToken_IsAnAuthenticationFault()
    {
        var code = await server.IssueCodeAsync();
        var token = await TokenAsync(code);
        var middle = token.Length / 2;
        var tampered = string.Concat(token.AsSpan(0, middle), token[middle] == 'A' ? "B" : "A", token.AsSpan(middle + 1));
        using var key = RSA.Create(2048);
        var before = await server.CountsAsync();
        var response = await server.RequestSecurityTokenAsync(Federated(tampered), DeviceMessages.Pkcs10(key), DeviceMessages.Context());
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
        Assert.Null(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));
    }

    [Theory]
    [InlineData("not a token at all!")]
    [InlineData("@@@@")]
    [InlineData("x")]
    public async Task AGarbageToken_IsAnAuthenticationFault(string token)
    {
        using var key = RSA.Create(2048);
        var before = await server.CountsAsync();
        var response = await server.RequestSecurityTokenAsync(Federated(token), DeviceMessages.Pkcs10(key), DeviceMessages.Context());
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
        before = await server.CountsAsync();
        response = await server.PostSoapAsync(WindowsEnrollmentApi.PolicyPath, DeviceMessages.GetPolicies(server.BaseUrl, Federated(token)));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.Authentication, before);
    }

    [Fact]
    public async Task AWrongCodeOnThePage_Is400_WithTheErrorShown_AndNoToken()
    {
        var code = await server.IssueCodeAsync();
        var response = await SignInAsync(code.UserPrincipalName, "0000-0000-0000-0000");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("role=\"alert\"", html);
        Assert.Contains("enrolment code is wrong", html);
        Assert.DoesNotContain("wresult", html);
    }
}
