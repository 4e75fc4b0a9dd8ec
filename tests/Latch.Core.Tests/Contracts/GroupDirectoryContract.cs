using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Tests.Contracts;

/// <summary>The built-in tree of SPEC §1 and static groups, computed over a real database on every backend.</summary>
public abstract class GroupDirectoryContract(StorageBackend backend) : IAsyncLifetime
{
    private LatchTestHost _host = null!;
    private Guid _mdm, _mailOnly, _both, _pcAgent;

    public async ValueTask InitializeAsync()
    {
        _host = await LatchTestHost.StartAsync(backend);
        _mdm = await Add(ManagementChannel.DirectMdm);
        _mailOnly = await Add(ManagementChannel.ExchangeActiveSyncOnly);
        _both = await Add(ManagementChannel.DirectMdmAndExchangeActiveSync);
        _pcAgent = await Add(ManagementChannel.PcSoftwareClient);
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task<Guid> Add(ManagementChannel channel) =>
        (await _host.AddDeviceAsync(TestDevices.Of(Platform.Android, adjust: d => d.Channel = channel))).Id;

    private Task<List<Guid>> MembersAsync(Guid groupId) => _host.With<GroupDirectory, List<Guid>>(async groups =>
        (await groups.DevicesInAsync(groupId))!.Select(d => d.Id).ToList());

    [Fact]
    public async Task BuiltInTree_ComputesMembersFromTheChannel()
    {
        Assert.Equal(new[] { _mdm, _mailOnly, _both, _pcAgent }.Order(), (await MembersAsync(BuiltInGroups.AllDevices.Id)).Order());
        Assert.Equal(new[] { _mdm, _mailOnly, _both }.Order(), (await MembersAsync(BuiltInGroups.AllMobileDevices.Id)).Order());
        Assert.Equal(new[] { _mdm, _both }.Order(), (await MembersAsync(BuiltInGroups.AllDirectManagedDevices.Id)).Order());
        Assert.Equal(new[] { _mailOnly, _both }.Order(), (await MembersAsync(BuiltInGroups.AllExchangeActiveSyncManagedDevices.Id)).Order());
    }

    [Fact]
    public async Task BuiltInTree_FollowsAFactChange_WithoutAnyStoredMembership()
    {
        await using (var db = _host.Db())
            await db.Devices.Where(d => d.Id == _mailOnly).ExecuteUpdateAsync(s => s.SetProperty(d => d.Channel, ManagementChannel.DirectMdmAndExchangeActiveSync));
        Assert.Contains(_mailOnly, await MembersAsync(BuiltInGroups.AllDirectManagedDevices.Id));
    }

    [Fact]
    public async Task List_HasTheBuiltInTreeThenStaticGroups()
    {
        await _host.With<GroupDirectory>(groups => groups.CreateAsync("Field Sales", GroupMemberKind.Devices));
        var list = await _host.With<GroupDirectory, IReadOnlyList<GroupSummary>>(groups => groups.ListAsync());

        Assert.Equal(["All Devices", "All Mobile Devices", "All Direct Managed Devices", "All Exchange ActiveSync Managed Devices", "All Users", "Field Sales"],
            list.Select(g => g.Name));
        Assert.Equal(BuiltInGroups.AllMobileDevices.Id, list.Single(g => g.Name == "All Direct Managed Devices").ParentId);
        Assert.False(list[^1].IsBuiltIn);
    }

    [Fact]
    public async Task StaticDeviceGroup_HoldsItsMembers_OnceEach()
    {
        var group = await _host.With<GroupDirectory, Group>(groups => groups.CreateAsync("Pilot", GroupMemberKind.Devices));
        await _host.With<GroupDirectory>(groups => groups.AddMembersAsync(group.Id, [_mdm, _both, _mdm]));
        await _host.With<GroupDirectory>(groups => groups.AddMembersAsync(group.Id, [_both]));

        Assert.Equal(new[] { _mdm, _both }.Order(), (await MembersAsync(group.Id)).Order());
    }

    [Fact]
    public async Task StaticUserGroup_HoldsTheDevicesItsUsersOwn()
    {
        var owner = await _host.AddUserAsync("Grace Hopper");
        await using (var db = _host.Db())
            await db.Devices.Where(d => d.Id == _mdm || d.Id == _pcAgent).ExecuteUpdateAsync(s => s.SetProperty(d => d.OwnerId, owner.Id));
        var group = await _host.With<GroupDirectory, Group>(groups => groups.CreateAsync("Pilot users", GroupMemberKind.Users));
        await _host.With<GroupDirectory>(groups => groups.AddMembersAsync(group.Id, [owner.Id]));

        Assert.Equal(new[] { _mdm, _pcAgent }.Order(), (await MembersAsync(group.Id)).Order());
        Assert.Equal(new[] { _mdm, _pcAgent }.Order(),
            (await _host.With<GroupDirectory, List<Guid>>(groups => groups.DevicesOfUser(owner.Id).Select(d => d.Id).ToListAsync())).Order());
    }

    [Fact]
    public async Task AddMembers_UnknownId_RefusesTheWholeCall()
    {
        var group = await _host.With<GroupDirectory, Group>(groups => groups.CreateAsync("Pilot", GroupMemberKind.Devices));
        var unknown = Guid.NewGuid();
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            _host.With<GroupDirectory>(groups => groups.AddMembersAsync(group.Id, [_mdm, unknown])));
        Assert.Contains(unknown.ToString(), error.Message);
        Assert.Empty(await MembersAsync(group.Id));
    }

    [Fact]
    public async Task BuiltInGroups_CannotBeEdited() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _host.With<GroupDirectory>(groups => groups.AddMembersAsync(BuiltInGroups.AllDevices.Id, [_mdm])));

    [Theory]
    [InlineData("")]
    [InlineData("All Devices")]
    [InlineData("all users")]
    public async Task Create_EmptyOrTakenName_IsRefused(string name) =>
        await Assert.ThrowsAsync<ArgumentException>(() => _host.With<GroupDirectory>(groups => groups.CreateAsync(name, GroupMemberKind.Devices)));

    [Fact]
    public async Task UnknownGroup_HasNoDevices() =>
        Assert.Null(await _host.With<GroupDirectory, IQueryable<Device>?>(groups => groups.DevicesInAsync(Guid.NewGuid())));
}

public sealed class GroupDirectoryOnSqlite() : GroupDirectoryContract(SqliteBackend.Instance);

public sealed class GroupDirectoryOnPostgres() : GroupDirectoryContract(PostgresBackend.Instance);
