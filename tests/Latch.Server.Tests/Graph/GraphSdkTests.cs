using Latch.Core.Access;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Latch.Server.Tests.Graph;

/// <summary>
/// The official Microsoft Graph SDK (Microsoft.Graph 6.10.0), pointed at Latch's base URL with a static bearer
/// token, exactly as an administrator's script would use it against Intune.
/// </summary>
public sealed class GraphSdkTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private GraphServiceClient Graph(string token = AdminToken)
    {
        var http = _app.ClientWith(token);
        return new GraphServiceClient(http, new AnonymousAuthenticationProvider(), "http://localhost/v1.0");
    }

    private async Task<string> TokenAsync(AdminRole role)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<ApiTokens>().IssueAsync($"sdk-{role}", role)).Secret;
    }

    private static async Task<ManagedDevice> DeviceNamedAsync(GraphServiceClient graph, string name)
    {
        var page = await graph.DeviceManagement.ManagedDevices.GetAsync(r => r.QueryParameters.Filter = $"deviceName eq '{name.Replace("'", "''", StringComparison.Ordinal)}'");
        return Assert.Single(page!.Value!);
    }

    [Fact]
    public async Task List_WithFilterCountAndPageIterator_AcrossSeveralPages()
    {
        var graph = Graph();
        var first = await graph.DeviceManagement.ManagedDevices.GetAsync(r =>
        {
            r.QueryParameters.Filter = "operatingSystem eq 'Windows' or operatingSystem eq 'iOS'";
            r.QueryParameters.Top = 3;
            r.QueryParameters.Count = true;
            r.QueryParameters.Orderby = ["deviceName"];
        });
        Assert.NotNull(first?.OdataNextLink);

        var devices = new List<ManagedDevice>();
        var iterator = PageIterator<ManagedDevice, ManagedDeviceCollectionResponse>.CreatePageIterator(graph, first!, device =>
        {
            devices.Add(device);
            return true;
        });
        await iterator.IterateAsync();

        Assert.Equal(first!.OdataCount, devices.Count);
        Assert.True(devices.Count > 6, "several pages of three");
        Assert.All(devices, d => Assert.True(d.OperatingSystem is "Windows" or "iOS", d.OperatingSystem));
        Assert.Equal(devices.Count, devices.Select(d => d.Id).Distinct().Count());
        // deviceType is not in v1.0's model (it is in beta): the SDK keeps it in AdditionalData.
        Assert.Contains(devices, d => d.AdditionalData.TryGetValue("deviceType", out var type) && type?.ToString() == "iPhone");
        Assert.Contains(devices, d => d.ManagementAgent == ManagementAgentType.IntuneClient);
    }

    [Fact]
    public async Task Get_TypedPropertiesAndEnums()
    {
        var graph = Graph();
        var id = (await DeviceNamedAsync(graph, "Grace's Galaxy S8 (mail + MDM)")).Id;
        var device = await graph.DeviceManagement.ManagedDevices[id].GetAsync();

        Assert.Equal("Grace's Galaxy S8 (mail + MDM)", device!.DeviceName);
        Assert.Equal("Android", device.OperatingSystem);
        Assert.Equal("7.0", device.OsVersion);
        Assert.Equal("android", device.AdditionalData["deviceType"]?.ToString());
        Assert.Equal(ManagementAgentType.EasMdm, device.ManagementAgent);
        Assert.True(device.EasActivated);
        Assert.Equal("grace.hopper@demo.latch.example", device.UserPrincipalName);
        Assert.Equal("Samsung", device.Manufacturer);
    }

    [Fact]
    public async Task RemoteLock_Post_QueuesIt_AndTheResultShowsAsPending()
    {
        var graph = Graph(await TokenAsync(AdminRole.HelpDeskOperator));
        var id = (await DeviceNamedAsync(graph, "Margaret's Lumia 950")).Id;

        await graph.DeviceManagement.ManagedDevices[id].RemoteLock.PostAsync();

        var device = await graph.DeviceManagement.ManagedDevices[id].GetAsync();
        var result = Assert.IsType<RemoteLockActionResult>(Assert.Single(device!.DeviceActionResults!));
        Assert.Equal("remoteLock", result.ActionName);
        Assert.Equal(ActionState.Pending, result.ActionState);
    }

    [Fact]
    public async Task ResetPasscode_Android6_TypedResultCarriesTheTemporaryPasscode()
    {
        var graph = Graph(await TokenAsync(AdminRole.HelpDeskOperator));
        var id = (await DeviceNamedAsync(graph, "Alan's Galaxy S7")).Id;

        await graph.DeviceManagement.ManagedDevices[id].ResetPasscode.PostAsync();

        var device = await graph.DeviceManagement.ManagedDevices[id].GetAsync();
        var result = Assert.IsType<ResetPasscodeActionResult>(Assert.Single(device!.DeviceActionResults!));
        Assert.Matches("^[0-9]{8}$", result.Passcode);
        Assert.Equal(ActionState.Pending, result.ActionState);
    }

    [Fact]
    public async Task Refusal_SurfacesAsODataError_WithTheCodeAndReason()
    {
        var graph = Graph();
        var id = (await DeviceNamedAsync(graph, "Alan's Pixel 8")).Id;

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.DeviceManagement.ManagedDevices[id].ResetPasscode.PostAsync());

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("notSupported", error.Error!.Code);
        Assert.StartsWith("Android 7.0 and later do not allow a passcode reset", error.Error.Message);
    }

    [Fact]
    public async Task ReadOnly_SeesDevices_ButLockSurfacesAs403()
    {
        var graph = Graph(await TokenAsync(AdminRole.ReadOnly));
        var id = (await DeviceNamedAsync(graph, "Ada's iPhone 15")).Id;

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.DeviceManagement.ManagedDevices[id].RemoteLock.PostAsync());
        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", error.Error!.Code);
    }

    [Fact]
    public async Task UsersAndMe_ThroughTheSdk()
    {
        var users = await Graph().Users.GetAsync(r => r.QueryParameters.Filter = "startswith(displayName,'Grace')");
        var grace = Assert.Single(users!.Value!);
        Assert.Equal("grace.hopper@demo.latch.example", grace.UserPrincipalName);

        var devices = await Graph().Users[grace.Id].ManagedDevices.GetAsync();
        Assert.NotEmpty(devices!.Value!);
        Assert.All(devices.Value!, d => Assert.Equal(grace.Id, d.UserId));
    }
}
