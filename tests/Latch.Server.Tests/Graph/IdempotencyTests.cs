using System.Net;
using System.Text;
using System.Text.Json;
using Latch.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Server.Tests.Graph;

public sealed class IdempotencyTests : IAsyncLifetime
{
    private const string AdminToken = LatchAppFactory.AdminToken;
    private LatchAppFactory _app = null!;

    public ValueTask InitializeAsync()
    {
        _app = new LatchAppFactory(new Dictionary<string, string?> { ["Auth:BootstrapToken"] = AdminToken, ["Demo"] = "true" });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<HttpResponseMessage> PostAsync(string path, string key, string? body = null)
    {
        var client = _app.ClientWith(AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Idempotency-Key", key);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task BulkRetryWithTheSameKey_GetsTheSameAnswer_AndQueuesNothingMore()
    {
        const string body = """{"actionName":"remoteLock","groupId":"00000000-0000-0000-0000-00000000a003"}""";
        var first = JsonDocument.Parse(await (await PostAsync("/v1.0/deviceManagement/managedDevices/executeAction", "bulk-1", body)).Content.ReadAsStringAsync()).RootElement;
        var commands = await CountCommandsAsync();
        var again = JsonDocument.Parse(await (await PostAsync("/v1.0/deviceManagement/managedDevices/executeAction", "bulk-1", body)).Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(first.GetProperty("requestId").GetString(), again.GetProperty("requestId").GetString());
        Assert.Equal(first.GetProperty("successfulDeviceIds").GetArrayLength(), again.GetProperty("successfulDeviceIds").GetArrayLength());
        Assert.Equal(0, again.GetProperty("alreadyPendingDeviceIds").GetArrayLength());
        Assert.Equal(commands, await CountCommandsAsync());
    }

    [Fact]
    public async Task TheSameKeySentConcurrently_EveryCallGetsTheFirstAnswer_NeverA500()
    {
        const string body = """{"actionName":"remoteLock","groupId":"00000000-0000-0000-0000-00000000a003"}""";
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ =>
            PostAsync("/v1.0/deviceManagement/managedDevices/executeAction", "concurrent-bulk", body)));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var requestIds = await Task.WhenAll(responses.Select(async r =>
            JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("requestId").GetString()));
        Assert.Single(requestIds.Distinct());
        await using var scope = _app.Services.CreateAsyncScope();
        Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<LatchDbContext>().ActionRequests.CountAsync(r => r.IdempotencyKey == "concurrent-bulk"));
    }

    [Fact]
    public async Task SameKeyForAnotherRequest_Is400()
    {
        await PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", "single-1");
        var response = await PostAsync($"/v1.0/deviceManagement/managedDevices/{Guid.NewGuid()}/remoteLock", "single-1");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("already used for a different request", await response.Content.ReadAsStringAsync());
    }

    private async Task<int> CountCommandsAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Commands.CountAsync();
    }
}
