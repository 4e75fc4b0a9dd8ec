using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Latch.Core.Data;
using Latch.Core.Groups;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

/// <summary>What a script needs around a bulk action: the preview that writes nothing, the request with its counts, its devices paged, and cancel.</summary>
public sealed class ActionRequestsTests : IAsyncLifetime
{
    private const string Devices = "/v1.0/deviceManagement/managedDevices";
    private const string Requests = "/v1.0/deviceManagement/actionRequests";
    private LatchAppFactory _app = null!;

    public async ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = LatchAppFactory.AdminToken, ["Demo"] = "true" });
        _app.CreateClient();
        await Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private HttpClient Client => _app.ClientWith(LatchAppFactory.AdminToken);

    private async Task<T> DbAsync<T>(Func<LatchDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LatchDbContext>());
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Preview_CountsWhatExecuteWouldDo_AndWritesNothing()
    {
        var selection = new { actionName = "remoteLock", groupId = BuiltInGroups.AllDirectManagedDevices.Id };
        var before = await DbAsync(async db => (await db.ActionRequests.CountAsync(), await db.Commands.CountAsync()));

        var preview = await JsonOf(await Client.PostAsJsonAsync($"{Devices}/previewAction", selection));
        Assert.Equal(before, await DbAsync(async db => (await db.ActionRequests.CountAsync(), await db.Commands.CountAsync())));
        var selected = preview.GetProperty("selectedCount").GetInt32();
        var willRun = preview.GetProperty("willRunCount").GetInt32();
        Assert.Equal(selected, willRun + preview.GetProperty("skippedCount").GetInt32() + preview.GetProperty("notFoundCount").GetInt32());
        Assert.Equal(preview.GetProperty("skippedCount").GetInt32(),
            preview.GetProperty("skipped").EnumerateArray().Sum(g => g.GetProperty("count").GetInt32()));
        Assert.Contains(preview.GetProperty("skipped").EnumerateArray(), g => g.GetProperty("reason").GetString() == "Remote lock is not supported on macOS.");

        var executed = await JsonOf(await Client.PostAsJsonAsync($"{Devices}/executeAction", selection));
        Assert.Equal(willRun, executed.GetProperty("successfulDeviceIds").GetArrayLength());
    }

    [Fact]
    public async Task Request_CountsEveryDevice_PagesItsDevices_AndCancelLeavesNothingPending()
    {
        var executed = await JsonOf(await Client.PostAsJsonAsync($"{Devices}/executeAction",
            new { actionName = "remoteLock", groupId = BuiltInGroups.AllDirectManagedDevices.Id }));
        var id = executed.GetProperty("requestId").GetString();

        var request = await JsonOf(await Client.GetAsync($"{Requests}/{id}"));
        var deviceCount = request.GetProperty("deviceCount").GetInt32();
        Assert.True(deviceCount > 2);
        Assert.Equal(deviceCount, request.GetProperty("stateCounts").EnumerateObject().Sum(p => p.Value.GetInt32()));

        var seen = new HashSet<string>();
        for (var next = $"{Requests}/{id}/deviceActions?$top=2"; next is not null;)
        {
            var page = await JsonOf(await Client.GetAsync(next));
            Assert.True(page.GetProperty("value").GetArrayLength() <= 2);
            foreach (var action in page.GetProperty("value").EnumerateArray()) Assert.True(seen.Add(action.GetProperty("deviceId").GetString()!));
            next = page.TryGetProperty("@odata.nextLink", out var link) ? link.GetString() : null;
        }
        Assert.Equal(deviceCount, seen.Count);

        var canceled = await JsonOf(await Client.PostAsync($"{Requests}/{id}/cancel", null));
        Assert.True(canceled.GetProperty("canceledCount").GetInt32() > 0);
        var after = await JsonOf(await Client.GetAsync($"{Requests}/{id}"));
        Assert.Equal(0, after.GetProperty("stateCounts").GetProperty("pending").GetInt32());
        Assert.Equal(canceled.GetProperty("canceledCount").GetInt32(), after.GetProperty("stateCounts").GetProperty("canceled").GetInt32());
        var canceledOnly = await JsonOf(await Client.GetAsync($"{Requests}/{id}/deviceActions?$filter=state eq 'canceled'"));
        Assert.All(canceledOnly.GetProperty("value").EnumerateArray(), a => Assert.Equal("canceled", a.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task UnknownRequest_Is404_AndABadSelectionIs400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"{Requests}/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync($"{Requests}/{Guid.NewGuid()}/cancel", null)).StatusCode);
        var badFilter = await Client.PostAsJsonAsync($"{Devices}/previewAction", new { actionName = "remoteLock", filter = "nosuchfield eq 1" });
        Assert.Equal(HttpStatusCode.BadRequest, badFilter.StatusCode);
    }
}
