using System.Net;
using System.Text.Json;
using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

/// <summary>
/// The managedDevices single-device routes and actions, read as raw JSON (not through our own types), so a
/// renamed property or a wrong enum spelling breaks them. Runs against the demo fleet.
/// </summary>
public sealed class ManagedDeviceActionsTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private LatchAppFactory _app = null!;
    private string _helpDeskToken = null!, _readOnlyToken = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await using var scope = _app.Services.CreateAsyncScope();
        var tokens = scope.ServiceProvider.GetRequiredService<ApiTokens>();
        _helpDeskToken = (await tokens.IssueAsync("helpdesk@demo.latch.example", AdminRole.HelpDeskOperator)).Secret;
        _readOnlyToken = (await tokens.IssueAsync("auditor@demo.latch.example", AdminRole.ReadOnly)).Secret;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Client(string? token) => _app.ClientWith(token);

    private async Task<Guid> DeviceIdAsync(string name)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices.Where(d => d.Name == name).Select(d => d.Id).SingleAsync();
    }

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
    }

    private static string Path(Guid id, string? action = null) =>
        $"/v1.0/deviceManagement/managedDevices/{id}" + (action is null ? "" : "/" + action);

    [Fact]
    public async Task NoToken_Is401_InGraphsErrorShape()
    {
        var response = await Client(null).PostAsync(Path(Guid.NewGuid(), "remoteLock"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("InvalidAuthenticationToken", error.GetProperty("code").GetString());
        Assert.Equal("Access token is empty.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task UnknownToken_Is401()
    {
        var response = await Client("not-a-real-token-at-all").GetAsync(Path(Guid.NewGuid()));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Access token validation failure.", (await ErrorOf(response)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task ReadOnly_CannotLock_AndNothingIsQueued()
    {
        var device = await DeviceIdAsync("Ada's iPhone 15");
        var response = await Client(_readOnlyToken).PostAsync(Path(device, "remoteLock"), null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Authorization_RequestDenied", (await ErrorOf(response)).GetProperty("code").GetString());
        Assert.Equal(0, await DbAsync(db => db.DeviceActions.CountAsync(a => a.DeviceId == device)));
    }

    [Fact]
    public async Task HelpDesk_LocksAnIPhone_204_QueuedOnce_EvenWhenRepeated()
    {
        var device = await DeviceIdAsync("Ada's iPhone 15");
        var first = await Client(_helpDeskToken).PostAsync(Path(device, "remoteLock"), null);
        var again = await Client(_helpDeskToken).PostAsync(Path(device, "remoteLock"), null);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        var action = await DbAsync(db => db.DeviceActions.SingleAsync(a => a.DeviceId == device));
        Assert.Equal((DeviceActionState.Pending, "helpdesk@demo.latch.example"), (action.State, action.RequestedBy));
        Assert.Equal(1, await DbAsync(db => db.Commands.CountAsync(c => c.DeviceId == device)));
    }

    [Fact]
    public async Task Lock_OnAMac_Is400NotSupported_WithTheReason_AndRecorded()
    {
        var device = await DeviceIdAsync("Ada's MacBook Pro");
        var response = await Client(AdminToken).PostAsync(Path(device, "remoteLock"), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("notSupported", error.GetProperty("code").GetString());
        Assert.Equal("Remote lock is not supported on macOS.", error.GetProperty("message").GetString());
        Assert.Equal(DeviceActionState.NotSupported, await DbAsync(db => db.DeviceActions.Where(a => a.DeviceId == device).Select(a => a.State).SingleAsync()));
    }

    [Fact]
    public async Task UnknownOrMalformedId_Is404Or400()
    {
        var unknown = await Client(AdminToken).PostAsync(Path(Guid.NewGuid(), "remoteLock"), null);
        var malformed = await Client(AdminToken).PostAsync("/v1.0/deviceManagement/managedDevices/not-a-guid/remoteLock", null);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("ResourceNotFound", (await ErrorOf(unknown)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not-a-guid", (await ErrorOf(malformed)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Get_ShowsGraphsNamesAndEnums_AndTheLockResult()
    {
        var device = await DeviceIdAsync("Ada's iPhone 15");
        await Client(AdminToken).PostAsync(Path(device, "remoteLock"), null);

        var response = await Client(_readOnlyToken).GetAsync(Path(device));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(device.ToString(), json.GetProperty("id").GetString());
        Assert.Equal("Ada's iPhone 15", json.GetProperty("deviceName").GetString());
        Assert.Equal("iOS", json.GetProperty("operatingSystem").GetString());
        Assert.Equal("iPhone", json.GetProperty("deviceType").GetString());
        Assert.Equal("mdm", json.GetProperty("managementAgent").GetString());
        Assert.Equal("ada.lovelace@demo.latch.example", json.GetProperty("userPrincipalName").GetString());
        Assert.True(json.GetProperty("isSupervised").GetBoolean());
        Assert.EndsWith("/v1.0/$metadata#deviceManagement/managedDevices/$entity", json.GetProperty("@odata.context").GetString());
        var result = Assert.Single(json.GetProperty("deviceActionResults").EnumerateArray());
        Assert.Equal("#microsoft.graph.remoteLockActionResult", result.GetProperty("@odata.type").GetString());
        Assert.Equal("remoteLock", result.GetProperty("actionName").GetString());
        Assert.Equal("pending", result.GetProperty("actionState").GetString());
    }

    [Fact]
    public async Task ResetPasscode_Android6_PasscodeShownToHelpDesk_AuditedPerReveal_HiddenFromReadOnly()
    {
        var device = await DeviceIdAsync("Alan's Galaxy S7");
        Assert.Equal(HttpStatusCode.NoContent, (await Client(_helpDeskToken).PostAsync(Path(device, "resetPasscode"), null)).StatusCode);

        var seen = JsonDocument.Parse(await Client(_helpDeskToken).GetStringAsync(Path(device))).RootElement
            .GetProperty("deviceActionResults").EnumerateArray().Single();
        var hidden = JsonDocument.Parse(await Client(_readOnlyToken).GetStringAsync(Path(device))).RootElement
            .GetProperty("deviceActionResults").EnumerateArray().Single();

        Assert.Equal("#microsoft.graph.resetPasscodeActionResult", seen.GetProperty("@odata.type").GetString());
        Assert.Matches("^[0-9]{8}$", seen.GetProperty("passcode").GetString());
        Assert.False(hidden.TryGetProperty("passcode", out _));
        var reveals = await DbAsync(db => db.AuditEvents.Where(e => e.Kind == AuditKinds.PasscodeRevealed && e.DeviceId == device).ToListAsync());
        Assert.Equal("helpdesk@demo.latch.example", Assert.Single(reveals).Actor);
    }

    [Fact]
    public async Task ResetPasscode_LostDevice_NeedsTheConfirmationHeader()
    {
        var device = await DeviceIdAsync("Margaret's iPhone 13 (lost)");
        var refused = await Client(AdminToken).PostAsync(Path(device, "resetPasscode"), null);
        var confirmed = new HttpRequestMessage(HttpMethod.Post, Path(device, "resetPasscode"));
        confirmed.Headers.Add("Latch-Lost-Device-Confirmed", "true");
        var accepted = await Client(AdminToken).SendAsync(confirmed);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("marked lost", (await ErrorOf(refused)).GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
    }

    [Fact]
    public async Task Get_WithSelect_KeepsOnlyThose_OtherOptionsAre400()
    {
        var device = await DeviceIdAsync("Ada's iPhone 15");
        var selected = JsonDocument.Parse(await Client(AdminToken).GetStringAsync(Path(device) + "?$select=deviceName,osVersion")).RootElement;
        var filtered = await Client(AdminToken).GetAsync(Path(device) + "?$filter=deviceName%20eq%20'x'");

        Assert.Equal(["@odata.context", "deviceName", "osVersion"], selected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, filtered.StatusCode);
        Assert.Contains("'$filter' does not apply to a single entity", (await ErrorOf(filtered)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Tokens_AreStoredOnlyAsHashes()
    {
        var hashes = await DbAsync(db => db.ApiTokens.Select(t => t.TokenHash).ToListAsync());
        Assert.Equal(3, hashes.Count);
        Assert.DoesNotContain(AdminToken, hashes);
        Assert.DoesNotContain(Latch.Core.Access.TokenHasher.LegacyHash(AdminToken), hashes); // keyed, not a plain SHA-256
        Assert.All(hashes, h => Assert.Matches("^[A-Za-z0-9_-]{43}$", h));
    }
}
