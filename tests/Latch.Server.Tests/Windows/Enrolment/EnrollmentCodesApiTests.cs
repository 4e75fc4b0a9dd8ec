using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Latch.Core.Access;
using Latch.Core.Audit;
using Latch.Server.Devices;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Tests.Windows.Enrolment;

/// <summary><c>POST /v1.0/latch/enrollmentCodes</c>: who may issue a code for whom, and that only its hash is kept.</summary>
public sealed partial class EnrollmentCodesApiTests(WindowsEnrolmentServer server) : IClassFixture<WindowsEnrolmentServer>
{
    [GeneratedRegex("^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")]
    private static partial Regex CodeFormat();

    [Fact]
    public async Task AnAdministrator_IssuesACodeForAUser_201_NoStore_OnlyTheHashIsKept()
    {
        var response = await server.Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Grace, lifetimeHours = 2 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = Guid.Parse(json.RootElement.GetProperty("id").GetString()!);
        var code = json.RootElement.GetProperty("code").GetString()!;
        Assert.Matches(CodeFormat(), code);
        Assert.Equal(WindowsEnrolmentServer.Grace, json.RootElement.GetProperty("userPrincipalName").GetString());
        var expires = json.RootElement.GetProperty("expiresDateTime").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(1.9), TimeSpan.FromHours(2.1));

        var row = await server.DbAsync(db => db.EnrollmentCodes.AsNoTracking().SingleAsync(c => c.Id == id));
        Assert.Equal(Core.Demo.DemoFleet.Grace, row.UserId);
        Assert.Null(row.UsedAt);
        var undashed = code.Replace("-", "");
        var rows = await server.DbAsync(db => db.EnrollmentCodes.AsNoTracking().ToListAsync());
        var audit = await server.DbAsync(db => db.AuditEvents.AsNoTracking().ToListAsync());
        Assert.Contains(audit, e => e.Kind == AuditKinds.EnrollmentCodeIssued && e.Detail.Contains(id.ToString()));
        foreach (var text in rows.SelectMany(r => new[] { r.CodeHash, r.IssuedBy }).Concat(audit.SelectMany(e => new[] { e.Detail, e.Actor })))
        {
            Assert.DoesNotContain(code, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(undashed, text, StringComparison.OrdinalIgnoreCase);
        }
        // Nor anywhere on disk: the database, its write-ahead log, the secrets.
        foreach (var file in Directory.EnumerateFiles(server.App.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory, TestContext.Current.CancellationToken);
            var bytes = memory.ToArray();
            Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(code)) < 0, $"{file} holds the code");
            Assert.True(bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(undashed)) < 0, $"{file} holds the code");
        }
    }

    [Fact]
    public async Task AUser_IssuesACodeForThemself()
    {
        var ada = await server.TokenAsync(WindowsEnrolmentServer.Ada, AdminRole.ReadOnly);
        var response = await server.App.ClientWith(ada).PostAsync(EnrollmentCodesApi.Path, null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(WindowsEnrolmentServer.Ada, json.RootElement.GetProperty("userPrincipalName").GetString());
    }

    [Fact]
    public async Task UnknownUser_Is404()
    {
        var before = await server.DbAsync(db => db.EnrollmentCodes.CountAsync());
        var response = await server.Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = "nobody@example.test" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(before, await server.DbAsync(db => db.EnrollmentCodes.CountAsync()));
    }

    [Fact]
    public async Task AReadOnlyUser_ForAnotherUser_Is403_AndNothingIsIssued()
    {
        var ada = await server.TokenAsync(WindowsEnrolmentServer.Ada, AdminRole.ReadOnly);
        var before = await server.DbAsync(db => db.EnrollmentCodes.CountAsync());
        var response = await server.App.ClientWith(ada).PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Grace });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await server.DbAsync(db => db.EnrollmentCodes.CountAsync()));
    }

    [Fact]
    public async Task HelpDesk_IssuesForAUser()
    {
        var helpDesk = await server.TokenAsync("helpdesk", AdminRole.HelpDeskOperator);
        var response = await server.App.ClientWith(helpDesk).PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Grace });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task BadJson_Is400()
    {
        var content = new StringContent("{\"user\": ", Encoding.UTF8, "application/json");
        var response = await server.Admin.PostAsync(EnrollmentCodesApi.Path, content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(0.001)]
    [InlineData(24 * 31)]
    public async Task ALifetimeOutOfRange_Is400(double hours)
    {
        var response = await server.Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Ada, lifetimeHours = hours });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("lifetimeHours", await response.Content.ReadAsStringAsync());
    }

    // TimeSpan.FromHours(1e9) overflows: the range is checked on the number first.
    [Fact]
    public async Task AHugeLifetime_Is400()
    {
        var response = await server.Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Ada, lifetimeHours = 1e9 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AnUnknownDevice_Is404()
    {
        var response = await server.Admin.PostAsJsonAsync(EnrollmentCodesApi.Path, new { user = WindowsEnrolmentServer.Ada, device = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("no device", await response.Content.ReadAsStringAsync());
    }
}
