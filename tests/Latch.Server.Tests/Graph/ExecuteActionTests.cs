using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Groups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

/// <summary>The bulk <c>executeAction</c>: many devices in one request, each with its own outcome, read as raw JSON.</summary>
public sealed class ExecuteActionTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private const string Path = "/v1.0/deviceManagement/managedDevices/executeAction";
    private LatchAppFactory _app = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Client(string token = AdminToken) => _app.ClientWith(token);

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static List<string> Strings(JsonElement json, string property) =>
        json.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();

    [Fact]
    public async Task Group_AllDirectManagedDevices_EachDeviceGetsItsOutcome()
    {
        var response = await Client().PostAsJsonAsync(Path, new { actionName = "remoteLock", groupId = BuiltInGroups.AllDirectManagedDevices.Id });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await JsonOf(response);

        var direct = await DbAsync(db => db.Devices.Where(BuiltInGroups.AllDirectManagedDevices.DeviceFilter).CountAsync());
        var successful = Strings(json, "successfulDeviceIds");
        var refused = Strings(json, "notSupportedDeviceIds");
        Assert.Equal(direct, successful.Count + refused.Count);
        Assert.Empty(Strings(json, "notFoundDeviceIds"));
        var mac = (await DbAsync(db => db.Devices.Where(d => d.Name == "Ada's MacBook Pro").Select(d => d.Id).SingleAsync())).ToString();
        Assert.Contains(mac, refused);
        var reason = json.GetProperty("notSupportedDevices").EnumerateArray().Single(e => e.GetProperty("deviceId").GetString() == mac);
        Assert.Equal("Remote lock is not supported on macOS.", reason.GetProperty("reason").GetString());
        Assert.Equal(successful.Count, await DbAsync(db => db.Commands.CountAsync()));
    }

    [Fact]
    public async Task DeviceIds_UnknownAndDuplicate_AreReported_TheRestQueued()
    {
        var iphone = await DbAsync(db => db.Devices.Where(d => d.Name == "Ada's iPhone 15").Select(d => d.Id).SingleAsync());
        var unknown = Guid.NewGuid();
        var response = await Client().PostAsJsonAsync(Path, new { actionName = "remoteLock", deviceIds = new[] { iphone, unknown, iphone } });
        var json = await JsonOf(response);

        Assert.Equal([iphone.ToString()], Strings(json, "successfulDeviceIds"));
        Assert.Equal([unknown.ToString()], Strings(json, "notFoundDeviceIds"));
        Assert.Equal(1, await DbAsync(db => db.Commands.CountAsync()));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{"actionName":"wipe","deviceIds":["00000000-0000-0000-0000-000000000001"]}""", "actionName 'wipe' is not supported")]
    [InlineData("""{"actionName":"remoteLock"}""", "either deviceIds or groupId")]
    [InlineData("""{"actionName":"remoteLock","deviceIds":[],"groupId":"00000000-0000-0000-0000-00000000a001"}""", "either deviceIds or groupId")]
    [InlineData("""{"actionName":"remoteLock","deviceIds":[]}""", "at least one device")]
    [InlineData("""{"actionName":"remoteLock","deviceIds":["nope"]}""", "'nope' is not a valid managedDevice id")]
    [InlineData("""{"actionName":"remoteLock","deviceIds":"not-a-list"}""", "not valid JSON")]
    public async Task BadBody_Is400_NamingTheProblem_AndQueuesNothing(string body, string expected)
    {
        var response = await Client().PostAsync(Path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await JsonOf(response)).GetProperty("error");
        Assert.Equal("BadRequest", error.GetProperty("code").GetString());
        Assert.Contains(expected, error.GetProperty("message").GetString());
        Assert.Equal(0, await DbAsync(db => db.DeviceActions.CountAsync()));
    }

    [Fact]
    public async Task UnknownGroup_Is404()
    {
        var response = await Client().PostAsJsonAsync(Path, new { actionName = "remoteLock", groupId = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ReadOnly_IsRefused_AndTheRefusalIsAudited()
    {
        string token;
        await using (var scope = _app.Services.CreateAsyncScope())
            token = (await scope.ServiceProvider.GetRequiredService<ApiTokens>().IssueAsync("auditor", AdminRole.ReadOnly)).Secret;

        var response = await Client(token).PostAsJsonAsync(Path, new { actionName = "remoteLock", groupId = BuiltInGroups.AllDevices.Id });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await DbAsync(db => db.DeviceActions.CountAsync()));
        var denied = await DbAsync(db => db.AuditEvents.SingleAsync(e => e.Kind == "request.denied"));
        Assert.Equal("auditor", denied.Actor);
        Assert.Contains("403 POST /v1.0/deviceManagement/managedDevices/executeAction", denied.Detail);
    }

    [Fact]
    public async Task ResetPasscode_LostDevice_ConfirmedInTheBody()
    {
        var lost = await DbAsync(db => db.Devices.Where(d => d.Name == "Margaret's iPhone 13 (lost)").Select(d => d.Id).SingleAsync());
        var refused = await JsonOf(await Client().PostAsJsonAsync(Path, new { actionName = "resetPasscode", deviceIds = new[] { lost } }));
        var accepted = await JsonOf(await Client().PostAsJsonAsync(Path, new { actionName = "resetPasscode", deviceIds = new[] { lost }, lostDeviceConfirmed = true }));

        Assert.Equal([lost.ToString()], Strings(refused, "notSupportedDeviceIds"));
        Assert.Equal([lost.ToString()], Strings(accepted, "successfulDeviceIds"));
        Assert.Equal(DeviceActionState.Pending, await DbAsync(db => db.DeviceActions.Where(a => a.DeviceId == lost && a.State == DeviceActionState.Pending).Select(a => a.State).SingleAsync()));
    }
}
