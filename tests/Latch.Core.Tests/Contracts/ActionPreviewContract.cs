using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Latch.Core.Tests.Contracts;

/// <summary>The confirmation step's preview and marking devices lost, over a real database on every backend.</summary>
public abstract class ActionPreviewContract(StorageBackend backend) : IAsyncLifetime
{
    private LatchTestHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await LatchTestHost.StartAsync(backend);

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private Task<ActionPreviewResult> Preview(RemoteAction action, params Guid[] ids) =>
        _host.With<ActionPreview, ActionPreviewResult>(preview => preview.PreviewAsync(action, ids));

    private async Task<Guid> Add(Platform platform, string? version = null, Action<Device>? adjust = null) =>
        (await _host.AddDeviceAsync(TestDevices.Of(platform, version, adjust))).Id;

    [Fact]
    public async Task RemoteLock_CountsWhatRuns_AndGroupsTheSkippedByTheRulesReason()
    {
        var iphone = await Add(Platform.IOS);
        var android = await Add(Platform.Android);
        var mac1 = await Add(Platform.MacOS);
        var mac2 = await Add(Platform.MacOS);
        var noPasscode = await Add(Platform.IOS, adjust: d => d.PasscodeSet = false);

        var preview = await Preview(RemoteAction.RemoteLock, iphone, android, mac1, mac2, noPasscode, Guid.NewGuid());

        Assert.Equal(6, preview.Selected);
        Assert.Equal(2, preview.WillRun);
        Assert.Equal(3, preview.SkippedCount);
        Assert.Equal(1, preview.NotFound);
        var macs = preview.Skipped[0];
        Assert.Equal(ActionRules.Evaluate(RemoteAction.RemoteLock, TestDevices.Of(Platform.MacOS)).Reason, macs.Reason);
        Assert.Equal(2, macs.Count);
        Assert.Equal(new[] { mac1, mac2 }.Order(), macs.Examples.Select(e => e.Id).Order());
        Assert.Contains("no PIN or passcode", preview.Skipped[1].Reason, StringComparison.Ordinal);
        Assert.Empty(preview.LostDevices);
        Assert.Equal(5, preview.DeviceIds.Count);
    }

    [Fact]
    public async Task ResetPasscode_OnALostDevice_IsHeldForConfirmation_NotSkipped()
    {
        var lostPhone = await Add(Platform.IOS, adjust: d => { d.IsLost = true; d.Name = "Lost phone"; });
        var lostMac = await Add(Platform.MacOS, adjust: d => d.IsLost = true);
        var oldAndroid = await Add(Platform.Android, "6.0");

        var preview = await Preview(RemoteAction.ResetPasscode, lostPhone, lostMac, oldAndroid);

        Assert.Equal(1, preview.WillRun);
        Assert.Equal(2, preview.WillRunWith(lostDeviceConfirmed: true));
        Assert.Equal(new PreviewDevice(lostPhone, "Lost phone"), Assert.Single(preview.LostDevices));
        // A lost Mac is skipped for being a Mac: confirming that it is lost would not make a reset possible.
        Assert.Equal(lostMac, Assert.Single(Assert.Single(preview.Skipped).Examples).Id);
    }

    [Fact]
    public async Task ADeviceWithTheSameActionInFlight_IsSkippedAsAlreadyPending()
    {
        var phone = await Add(Platform.IOS);
        await _host.With<DeviceActions>(actions => actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [phone], "someone")));

        var preview = await Preview(RemoteAction.RemoteLock, phone);

        Assert.Equal(0, preview.WillRun);
        Assert.Equal(ActionPreview.AlreadyInFlightReason(RemoteAction.RemoteLock), Assert.Single(preview.Skipped).Reason);
        Assert.Equal(1, (await Preview(RemoteAction.ResetPasscode, phone)).WillRun);
    }

    [Fact]
    public async Task AQueryOverAGroup_PreviewsEveryMember_AndListsOnlyAFewNamesPerReason()
    {
        await _host.AddDevicesAsync(30, Platform.MacOS);
        await _host.AddDevicesAsync(5, Platform.IOS);

        // One scope, as in the console: the group's query and the preview share a context.
        var preview = await _host.With<IServiceProvider, ActionPreviewResult>(async scope =>
        {
            var members = (await scope.GetRequiredService<GroupDirectory>().DevicesInAsync(BuiltInGroups.AllDevices.Id))!;
            return await scope.GetRequiredService<ActionPreview>().PreviewAsync(RemoteAction.RemoteLock, members);
        });

        Assert.Equal(35, preview.Selected);
        Assert.Equal(5, preview.WillRun);
        var macs = Assert.Single(preview.Skipped);
        Assert.Equal(30, macs.Count);
        Assert.Equal(ActionPreview.ExamplesPerReason, macs.Examples.Count);
        Assert.Equal(35, preview.DeviceIds.Count);
    }

    [Fact]
    public async Task MarkingLost_IsAudited_AndChangesWhatAResetNeeds()
    {
        var phone = await Add(Platform.IOS);

        Assert.True(await _host.With<LostDevices, bool>(lost => lost.MarkAsync(phone, lost: true, "grace")));
        Assert.Single((await Preview(RemoteAction.ResetPasscode, phone)).LostDevices);
        Assert.True(await _host.With<LostDevices, bool>(lost => lost.MarkAsync(phone, lost: true, "grace"))); // no change, no event
        Assert.True(await _host.With<LostDevices, bool>(lost => lost.MarkAsync(phone, lost: false, "ada")));
        Assert.False(await _host.With<LostDevices, bool>(lost => lost.MarkAsync(Guid.NewGuid(), lost: true, "ada")));

        await using var db = _host.Db();
        var events = await db.AuditEvents.Where(e => e.DeviceId == phone).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal([(AuditKinds.DeviceMarkedLost, "grace"), (AuditKinds.DeviceMarkedFound, "ada")], events.Select(e => (e.Kind, e.Actor)));
        Assert.False((await db.Devices.SingleAsync(d => d.Id == phone)).IsLost);
    }
}

public sealed class ActionPreviewOnSqlite() : ActionPreviewContract(SqliteBackend.Instance);

public sealed class ActionPreviewOnPostgres() : ActionPreviewContract(PostgresBackend.Instance);
