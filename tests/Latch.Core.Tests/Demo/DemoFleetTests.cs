using Latch.Core.Demo;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Demo;

/// <summary>The demo fleet must put every SPEC row and condition in front of a new user.</summary>
public sealed class DemoFleetTests : IAsyncLifetime
{
    private LatchTestHost _host = null!;
    private List<Device> _devices = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await LatchTestHost.StartAsync(SqliteBackend.Instance);
        await using var db = _host.Db();
        await DemoFleet.SeedAsync(db, _host.Clock);
        _devices = await db.Devices.ToListAsync();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private bool Any(RemoteAction action, bool supported, Func<Device, bool> which) =>
        _devices.Where(which).Any(d => ActionRules.Evaluate(action, d).IsSupported == supported);

    [Fact]
    public void EveryPlatform_HasADevice() =>
        Assert.All(Enum.GetValues<Platform>(), p => Assert.Contains(_devices, d => d.Platform == p));

    [Fact]
    public void EveryChannel_HasADevice() =>
        Assert.All(Enum.GetValues<ManagementChannel>(), c => Assert.Contains(_devices, d => d.Channel == c));

    [Fact]
    public void EveryCondition_ShowsBothWays()
    {
        Assert.True(Any(RemoteAction.ResetPasscode, true, d => d.Platform == Platform.Android && d.OsVersion == OsVersion.Parse("6.0.1")));
        Assert.True(Any(RemoteAction.ResetPasscode, false, d => d.Platform == Platform.Android && d.OsVersion >= OsVersion.Parse("7.0")));
        Assert.True(Any(RemoteAction.ResetPasscode, true, d => d.Platform == Platform.Windows10Mobile && d.OsVersion.Build == 15063 && d.AzureAdJoined));
        Assert.True(Any(RemoteAction.ResetPasscode, false, d => d.Platform == Platform.Windows10Mobile && d.OsVersion.Build == 15062));
        Assert.True(Any(RemoteAction.ResetPasscode, false, d => d.Platform == Platform.Windows10Mobile && !d.AzureAdJoined));
        foreach (var platform in new[] { Platform.WindowsRT, Platform.Windows81 })
        {
            Assert.True(Any(RemoteAction.RemoteLock, true, d => d.Platform == platform && d.CurrentUserId == d.EnrolledByUserId));
            Assert.True(Any(RemoteAction.RemoteLock, false, d => d.Platform == platform && d.CurrentUserId != d.EnrolledByUserId));
        }
        Assert.True(Any(RemoteAction.RemoteLock, false, d => !d.PasscodeSet));
        Assert.True(Any(RemoteAction.RemoteLock, false, d => d.Channel == ManagementChannel.ExchangeActiveSyncOnly));
        Assert.True(Any(RemoteAction.RemoteLock, true, d => d.Channel == ManagementChannel.DirectMdmAndExchangeActiveSync));
        Assert.True(Any(RemoteAction.RemoteLock, false, d => d.Channel == ManagementChannel.PcSoftwareClient));
        Assert.True(Any(RemoteAction.ResetPasscode, false, d => d.IsLost));
        Assert.True(Any(RemoteAction.ResetPasscode, false, d => d.Platform == Platform.IOS && !d.HasUnlockToken));
        Assert.True(Any(RemoteAction.ResetPasscode, true, d => d.Platform == Platform.IOS));
    }

    [Fact]
    public async Task HasSeveralUsers_AndStaticGroupsOfBothKinds()
    {
        await using var db = _host.Db();
        Assert.True(await db.Users.CountAsync() >= 5);
        Assert.True(await db.Groups.AnyAsync(g => g.MemberKind == GroupMemberKind.Devices && g.Devices.Count > 0));
        Assert.True(await db.Groups.AnyAsync(g => g.MemberKind == GroupMemberKind.Users && g.Users.Count > 0));
    }

    [Fact]
    public async Task Seeding_Twice_AddsNothing()
    {
        await using var db = _host.Db();
        var before = await db.Devices.CountAsync();
        await DemoFleet.SeedAsync(db, _host.Clock);
        Assert.Equal(before, await db.Devices.CountAsync());
    }
}
