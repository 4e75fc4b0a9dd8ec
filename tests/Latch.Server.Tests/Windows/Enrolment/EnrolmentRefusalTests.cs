using System.Security.Cryptography;
using System.Text;
using Latch.Core.Access;
using Latch.Core.Enrollment;
using Latch.Protocols.Windows.Enrollment;
using Latch.Server.Windows.Enrollment;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary>Each refused RequestSecurityToken: a fault with its subcode, audited, nothing enrolled, the code not used up.</summary>
public sealed class EnrolmentRefusalTests(WindowsEnrolmentServer server) : IClassFixture<WindowsEnrolmentServer>
{
    private static readonly RSA Key = RSA.Create(2048);

    private async Task<EnrollmentFault> RefusedAsync(EnrollmentCredentials credentials, byte[] certificateRequest, string subcode,
        IReadOnlyList<EnrollmentContextItem>? context = null, Guid? unusedCode = null)
    {
        var before = await server.CountsAsync();
        var response = await server.RequestSecurityTokenAsync(credentials, certificateRequest, context ?? DeviceMessages.Context());
        var fault = await server.AssertRefusedAsync(response, subcode, before);
        if (unusedCode is { } id)
            Assert.Null(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == id).Select(c => c.UsedAt).SingleAsync()));
        return fault;
    }

    [Fact]
    public async Task AWrongCode()
    {
        var code = await server.IssueCodeAsync();
        await RefusedAsync(DeviceMessages.OnPremise(code with { Code = "0000-0000-0000-0000" }), DeviceMessages.Pkcs10(Key),
            EnrollmentFaultSubcodes.Authentication, unusedCode: code.Id);
    }

    [Fact]
    public async Task TheRightCode_ForAnotherUser()
    {
        var code = await server.IssueCodeAsync(WindowsEnrolmentServer.Ada);
        await RefusedAsync(DeviceMessages.OnPremise(code with { UserPrincipalName = WindowsEnrolmentServer.Grace }), DeviceMessages.Pkcs10(Key),
            EnrollmentFaultSubcodes.Authentication, unusedCode: code.Id);
    }

    [Fact]
    public async Task ACodeUsedAlready()
    {
        var code = await server.IssueCodeAsync();
        using var first = (await server.EnrolAsync(code, Key, DeviceMessages.Context())).Certificate;
        await RefusedAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(Key), EnrollmentFaultSubcodes.Authentication);
    }

    [Fact]
    public async Task AnExpiredCode()
    {
        // A code that expired a minute ago, stored as the API stores one: only its keyed hash.
        const string text = "7K3M-9QPR-2VXW-4HJN";
        var id = await server.DbAsync(async db =>
        {
            var hasher = server.App.Services.GetRequiredService<TokenHasher>();
            var now = DateTimeOffset.UtcNow;
            var row = new EnrollmentCode
            {
                UserId = Core.Demo.DemoFleet.Ada, CodeHash = await hasher.HashAsync(text.Replace("-", "")), IssuedBy = "test",
                IssuedAt = now.AddHours(-2), ExpiresAt = now.AddMinutes(-1),
            };
            db.EnrollmentCodes.Add(row);
            await db.SaveChangesAsync();
            return row.Id;
        });
        var code = new IssuedCode(id, text, WindowsEnrolmentServer.Ada);
        // The same code unexpired would pass GetPolicies: the hash is the one the server computes.
        await RefusedAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(Key), EnrollmentFaultSubcodes.Authentication, unusedCode: id);
        await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.ExpiresAt, DateTimeOffset.UtcNow.AddHours(1))));
        await server.GetPoliciesAsync(DeviceMessages.OnPremise(code));
    }

    [Fact]
    public async Task APkcs10NotSignedByTheKeyItNames()
    {
        var code = await server.IssueCodeAsync();
        using var other = RSA.Create(2048);
        var swapped = DeviceMessages.Pkcs10WithSwappedKey(Key, other);
        await RefusedAsync(DeviceMessages.OnPremise(code), swapped, EnrollmentFaultSubcodes.CertificateRequest, unusedCode: code.Id);
    }

    [Fact]
    public async Task AnRsa1024Request()
    {
        var code = await server.IssueCodeAsync();
        using var weak = RSA.Create(1024);
        var fault = await RefusedAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(weak), EnrollmentFaultSubcodes.CertificateRequest,
            unusedCode: code.Id);
        Assert.Contains("2048", fault.Reason);
    }

    [Fact]
    public async Task BytesThatAreNoPkcs10()
    {
        var code = await server.IssueCodeAsync();
        await RefusedAsync(DeviceMessages.OnPremise(code), RandomNumberGenerator.GetBytes(300), EnrollmentFaultSubcodes.CertificateRequest,
            unusedCode: code.Id);
    }

    [Fact]
    public async Task GarbageBase64()
    {
        var code = await server.IssueCodeAsync();
        var request = DeviceMessages.RequestSecurityToken(server.BaseUrl, DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(Key), DeviceMessages.Context());
        var base64 = Convert.ToBase64String(DeviceMessages.Pkcs10(Key));
        var xml = Encoding.UTF8.GetString(request);
        var start = xml.IndexOf("wssecurity-secext-1.0.xsd#base64binary\">", StringComparison.Ordinal);
        Assert.True(start > 0);
        var from = xml.IndexOf('>', start) + 1;
        var garbled = string.Concat(xml.AsSpan(0, from), "%%not*base64!!", xml.AsSpan(xml.IndexOf('<', from)));
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.EnrollmentPath, Encoding.UTF8.GetBytes(garbled));
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.MessageFormat, before);
        Assert.Null(await server.DbAsync(db => db.EnrollmentCodes.Where(c => c.Id == code.Id).Select(c => c.UsedAt).SingleAsync()));
    }

    [Fact]
    public async Task NoDeviceId()
    {
        var code = await server.IssueCodeAsync();
        var context = DeviceMessages.Context();
        context.RemoveAll(i => i.Name == "DeviceID");
        var fault = await RefusedAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(Key), EnrollmentFaultSubcodes.MessageFormat, context,
            unusedCode: code.Id);
        Assert.Equal(EnrollmentErrorTypes.InvalidEnrollmentData, fault.ErrorType);
    }

    [Fact]
    public async Task OneCode_TwoDevicesAtOnce_OnlyOneEnrols()
    {
        var code = await server.IssueCodeAsync();
        using var otherKey = RSA.Create(2048);
        var answers = await Task.WhenAll(
            server.RequestSecurityTokenAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(Key), DeviceMessages.Context()),
            server.RequestSecurityTokenAsync(DeviceMessages.OnPremise(code), DeviceMessages.Pkcs10(otherKey), DeviceMessages.Context()));

        Assert.Single(answers, a => a.StatusCode == System.Net.HttpStatusCode.OK);
        var refused = Assert.Single(answers, a => a.StatusCode != System.Net.HttpStatusCode.OK);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, refused.StatusCode);
        var fault = EnrollmentFault.Decode(await refused.Content.ReadAsByteArrayAsync());
        Assert.Contains(fault.Subcode, new[] { EnrollmentFaultSubcodes.Authentication, EnrollmentFaultSubcodes.Authorization });
        Assert.Equal(1, await server.DbAsync(db => db.WindowsEnrollments.CountAsync(e => e.EnrollmentCodeId == code.Id)));
    }

    [Fact]
    public async Task NoCredentials()
    {
        await RefusedAsync(EnrollmentCredentials.None, DeviceMessages.Pkcs10(Key), EnrollmentFaultSubcodes.Authentication);
    }

    [Fact]
    public async Task AnotherUsersHardware_IsNotTakenOver()
    {
        var hardware = RandomNumberGenerator.GetHexString(64);
        using var adas = (await server.EnrolAsync(await server.IssueCodeAsync(WindowsEnrolmentServer.Ada), Key,
            DeviceMessages.Context(hardwareId: hardware))).Certificate;
        var grace = await server.IssueCodeAsync(WindowsEnrolmentServer.Grace);

        await RefusedAsync(DeviceMessages.OnPremise(grace), DeviceMessages.Pkcs10(Key), EnrollmentFaultSubcodes.Authorization,
            DeviceMessages.Context(hardwareId: hardware), unusedCode: grace.Id);

        var enrollment = await server.DbAsync(db => db.WindowsEnrollments.AsNoTracking().SingleAsync(e => e.HardwareId == hardware));
        Assert.Equal(WindowsEnrollmentState.Enrolled, enrollment.State);
        Assert.Equal(Core.Demo.DemoFleet.Ada, await server.DbAsync(db => db.Devices.Where(d => d.Id == enrollment.DeviceId).Select(d => d.OwnerId).SingleAsync()));
    }

    [Fact]
    public async Task AnIssueWithAPkcs7_IsACertificateRequestFault()
    {
        var code = await server.IssueCodeAsync();
        var request = new RequestSecurityTokenRequest
        {
            MessageId = DeviceMessages.NewMessageId(), To = server.BaseUrl + "EnrollmentServer/Enrollment.svc", Credentials = DeviceMessages.OnPremise(code),
            BinarySecurityTokenValueType = EnrollmentSoap.Pkcs7ValueType, CertificateRequest = DeviceMessages.Pkcs10(Key), ContextItems = DeviceMessages.Context(),
        }.Encode();
        var before = await server.CountsAsync();
        var response = await server.PostSoapAsync(WindowsEnrollmentApi.EnrollmentPath, request);
        await server.AssertRefusedAsync(response, EnrollmentFaultSubcodes.CertificateRequest, before);
    }
}
