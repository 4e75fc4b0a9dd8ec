using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Server.Tests;

public sealed class CommandExpiryTests
{
    [Fact]
    public async Task BackgroundSweep_FailsActionsWhoseCommandsExpired()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        await using var app = new LatchAppFactory(
            new Dictionary<string, string?>
            {
                ["Demo"] = "false",
                ["CommandQueue:CommandLifetime"] = "01:00:00",
                ["CommandQueue:ExpirySweepInterval"] = "00:10:00",
            },
            services => services.AddSingleton<TimeProvider>(clock));
        app.CreateClient();

        Guid actionId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            var device = new Device { Name = "Phone", Platform = Platform.IOS, OsVersion = OsVersion.Parse("17.0"), Channel = ManagementChannel.DirectMdm, PasscodeSet = true };
            db.Devices.Add(device);
            await db.SaveChangesAsync();
            var outcome = await scope.ServiceProvider.GetRequiredService<DeviceActions>()
                .RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [device.Id], "admin@test.example"));
            actionId = outcome.Queued[0].ActionId;
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        DeviceActionState state;
        do
        {
            clock.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(50);
            await using var scope = app.Services.CreateAsyncScope();
            state = await scope.ServiceProvider.GetRequiredService<LatchDbContext>().DeviceActions
                .Where(a => a.Id == actionId).Select(a => a.State).SingleAsync();
        } while (state != DeviceActionState.Failed && DateTime.UtcNow < deadline);

        Assert.Equal(DeviceActionState.Failed, state);
    }
}
