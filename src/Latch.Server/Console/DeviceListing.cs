using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Rules;
using Microsoft.EntityFrameworkCore;

namespace Latch.Server.Console;

/// <summary>Which devices a list shows: a group (built-in or static) or one user's.</summary>
public sealed record ListingScope(Guid? GroupId, Guid? UserId)
{
    public static ListingScope Group(Guid id) => new(id, null);
    public static ListingScope User(Guid id) => new(null, id);
}

public enum DeviceSort { Name, User, Platform, OsVersion, Channel, LastCheckIn }

/// <summary>A page of a device list: search, sort and paging are done by the database, so 100,000 devices page as fast as 20.</summary>
public sealed record DeviceListQuery(ListingScope Scope, string? Search, DeviceSort Sort, bool Descending, int Page, int PageSize);

public sealed record LastActionSummary(RemoteAction Action, DeviceActionState State, DateTimeOffset RequestedAt);

public sealed record DeviceRow(
    Guid Id, string Name, Guid? OwnerId, string? OwnerName, Platform Platform, string OsVersion, ManagementChannel Channel,
    DateTimeOffset? LastCheckInAt, bool IsLost, LastActionSummary? LastAction);

public sealed record DeviceListPage(IReadOnlyList<DeviceRow> Rows, long TotalMatching);

/// <summary>
/// What a remote task is for: the devices ticked one by one, or every device matching the list's scope and search
/// (across all pages) except the ones unticked since.
/// </summary>
public sealed record DeviceSelection(IReadOnlyCollection<Guid> DeviceIds, ListingScope? AllMatching = null, string? Search = null,
    IReadOnlyCollection<Guid>? Except = null)
{
    public static DeviceSelection Of(params Guid[] ids) => new(ids);
}

/// <summary>The console's device reads. Every call has its own scope (and DbContext): a console circuit lives long and its events may overlap.</summary>
public sealed class DeviceListing(IServiceScopeFactory scopes)
{
    public async Task<DeviceListPage?> PageAsync(DeviceListQuery query, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        if (await MatchingAsync(scope.ServiceProvider, query.Scope, query.Search, cancellationToken) is not { } matching) return null;

        var total = await matching.LongCountAsync(cancellationToken);
        var ordered = Order(matching, query.Sort, query.Descending);
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var rows = await ordered.Skip(Math.Max(0, query.Page) * pageSize).Take(pageSize)
            .Select(d => new
            {
                d.Id, d.Name, d.OwnerId, OwnerName = d.Owner == null ? null : d.Owner.DisplayName, d.Platform, d.OsVersion, d.Channel,
                d.LastCheckInAt, d.IsLost,
            })
            .ToListAsync(cancellationToken);

        var ids = rows.Select(r => r.Id).ToList();
        var actions = await db.DeviceActions.AsNoTracking().Where(a => EF.Parameter(ids).Contains(a.DeviceId))
            .Select(a => new { a.DeviceId, a.Id, a.Action, a.State, a.RequestedAt })
            .ToListAsync(cancellationToken);
        var latest = actions.GroupBy(a => a.DeviceId)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(a => a.RequestedAt).ThenByDescending(a => a.Id).First());

        return new DeviceListPage(
            rows.Select(r => new DeviceRow(r.Id, r.Name, r.OwnerId, r.OwnerName, r.Platform, r.OsVersion.ToString(), r.Channel, r.LastCheckInAt,
                r.IsLost, latest.TryGetValue(r.Id, out var a) ? new LastActionSummary(a.Action, a.State, a.RequestedAt) : null)).ToList(),
            total);
    }

    /// <summary>What the task would do to the selection, from the rules engine, without sending anything.</summary>
    public async Task<ActionPreviewResult> PreviewAsync(RemoteAction action, DeviceSelection selection, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var preview = scope.ServiceProvider.GetRequiredService<ActionPreview>();
        if (selection.AllMatching is null) return await preview.PreviewAsync(action, selection.DeviceIds, cancellationToken);

        var matching = await MatchingAsync(scope.ServiceProvider, selection.AllMatching, selection.Search, cancellationToken)
                       ?? throw new ActionRequestException("That group or user no longer exists.");
        if (selection.Except is { Count: > 0 } except)
        {
            var excluded = except.ToList();
            matching = matching.Where(d => !EF.Parameter(excluded).Contains(d.Id));
        }
        return await preview.PreviewAsync(action, matching, cancellationToken);
    }

    /// <summary>The scope's devices narrowed by the search (name, owner, serial number; ignoring case). Null for an unknown group.</summary>
    internal static async Task<IQueryable<Device>?> MatchingAsync(IServiceProvider services, ListingScope scope, string? search,
        CancellationToken cancellationToken)
    {
        var groups = services.GetRequiredService<GroupDirectory>();
        var devices = scope switch
        {
            { UserId: { } user } => groups.DevicesOfUser(user),
            { GroupId: { } group } => await groups.DevicesInAsync(group, cancellationToken),
            _ => await groups.DevicesInAsync(BuiltInGroups.AllDevices.Id, cancellationToken),
        };
        if (devices is null) return null;
        if (string.IsNullOrWhiteSpace(search)) return devices.AsNoTracking();

        var text = search.Trim().ToLowerInvariant();
        // Lower-cased on both sides in SQL, so the search ignores case on SQLite and PostgreSQL alike (CA1862's
        // StringComparison overload does not translate). The matching owners are one subquery over the users rather
        // than a join tested per device: on 100,000 devices that halves the search (BENCHMARKS.md, console).
#pragma warning disable CA1862
        var owners = services.GetRequiredService<LatchDbContext>().Users
            .Where(u => u.DisplayName.ToLower().Contains(text) || u.UserPrincipalName.ToLower().Contains(text))
            .Select(u => (Guid?)u.Id);
        return devices.AsNoTracking().Where(d => d.Name.ToLower().Contains(text)
                                                 || owners.Contains(d.OwnerId)
                                                 || (d.SerialNumber != null && d.SerialNumber.ToLower().Contains(text)));
#pragma warning restore CA1862
    }

    // Every order ends on the id, so pages never overlap or skip a device when values tie.
    private static IQueryable<Device> Order(IQueryable<Device> devices, DeviceSort sort, bool descending) => (sort, descending) switch
    {
        (DeviceSort.User, false) => devices.OrderBy(d => d.Owner!.DisplayName).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.User, true) => devices.OrderByDescending(d => d.Owner!.DisplayName).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.Platform, false) => devices.OrderBy(d => d.Platform).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.Platform, true) => devices.OrderByDescending(d => d.Platform).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.OsVersion, false) => devices.OrderBy(d => d.OsVersion).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.OsVersion, true) => devices.OrderByDescending(d => d.OsVersion).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.Channel, false) => devices.OrderBy(d => d.Channel).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.Channel, true) => devices.OrderByDescending(d => d.Channel).ThenBy(d => d.Name).ThenBy(d => d.Id),
        (DeviceSort.LastCheckIn, false) => devices.OrderBy(d => d.LastCheckInAt).ThenBy(d => d.Id),
        (DeviceSort.LastCheckIn, true) => devices.OrderByDescending(d => d.LastCheckInAt).ThenBy(d => d.Id),
        (_, true) => devices.OrderByDescending(d => d.Name).ThenByDescending(d => d.Id),
        _ => devices.OrderBy(d => d.Name).ThenBy(d => d.Id),
    };
}
