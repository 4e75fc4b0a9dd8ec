using System.Runtime.CompilerServices;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Data.Prepared;
using Latch.Core.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Commands;

/// <summary>
/// The queue's statements on a device's command round trip — read the next commands with what delivering them needs,
/// claim one, read a report's command, record the report — as prepared statements (see <see cref="PreparedStatement"/>).
/// Only <see cref="CommandQueue"/> runs them; its contract tests run them on SQLite and PostgreSQL.
/// </summary>
internal sealed class QueueStatements
{
    private static readonly ConditionalWeakTable<IModel, QueueStatements> ByModel = new();

    private readonly EntityColumns<Command> _commands;
    private readonly EntityColumns<DeviceAction> _actions;
    private readonly EntityColumns<Device> _devices;
    private readonly PreparedStatement _next, _report, _claim, _record;
    private readonly int _nextLostOrdinal, _reportWaitingOrdinal;

    /// <summary>The statements for <paramref name="db"/>'s model (built once per model: the provider decides the SQL's types).</summary>
    public static QueueStatements For(DbContext db) =>
        ByModel.GetValue(db.Model, model => new QueueStatements(model, db.GetService<ISqlGenerationHelper>()));

    private QueueStatements(IModel model, ISqlGenerationHelper sql)
    {
        _commands = new EntityColumns<Command>(model, sql);
        _actions = new EntityColumns<DeviceAction>(model, sql);
        // The facts the rules read, as DeviceActions loads them for a request: not the whole device.
        _devices = new EntityColumns<Device>(model, sql, nameof(Device.Id), nameof(Device.Name), nameof(Device.Platform),
            nameof(Device.OsVersion), nameof(Device.Channel), nameof(Device.EnrolledByUserId), nameof(Device.CurrentUserId), nameof(Device.OtherUserSignedIn),
            nameof(Device.PasscodeSet), nameof(Device.AzureAdJoined), nameof(Device.Supervised), nameof(Device.HasUnlockToken),
            nameof(Device.IsLost), nameof(Device.UnenrolledAt));
        var requests = new EntityColumns<ActionRequest>(model, sql, nameof(ActionRequest.Id), nameof(ActionRequest.LostDeviceConfirmed));

        var c = _commands;
        var a = _actions;
        var id = c.Mapping(nameof(Command.Id));
        var deviceId = c.Mapping(nameof(Command.DeviceId));
        var status = c.Mapping(nameof(Command.Status));
        var time = c.Mapping(nameof(Command.ExpiresAt));

        // Not expired, said so that no index can serve it: SQLite's planner, without statistics, would otherwise walk
        // the (Status, ExpiresAt) index — every queued command of every device — instead of this device's commands.
        var notExpired = (string alias) => $"CASE WHEN {alias}.{c[nameof(Command.ExpiresAt)]} > @now THEN 1 ELSE 0 END = 1";

        // The device's commands that can be handed out now, next first: the one place that says the queue's order.
        _next = new PreparedStatement(
            $"""
             SELECT {c.SelectList("c")}, {a.SelectList("a")}, {_devices.SelectList("d")}, r.{requests[nameof(ActionRequest.LostDeviceConfirmed)]}
             FROM {c.Table} AS c
             INNER JOIN {_devices.Table} AS d ON d.{_devices[nameof(Device.Id)]} = c.{c[nameof(Command.DeviceId)]}
             LEFT JOIN {a.Table} AS a ON a.{a[nameof(DeviceAction.Id)]} = c.{c[nameof(Command.DeviceActionId)]}
             LEFT JOIN {requests.Table} AS r ON r.{requests[nameof(ActionRequest.Id)]} = a.{a[nameof(DeviceAction.RequestId)]}
             WHERE c.{c[nameof(Command.DeviceId)]} = @device AND c.{c[nameof(Command.Status)]} IN (@status0, @status1, @status2)
               AND {notExpired("c")}
             ORDER BY c.{c[nameof(Command.Priority)]}, c.{c[nameof(Command.EnqueuedAt)]}, c.{c[nameof(Command.Id)]}
             LIMIT @limit
             """,
            ("@device", deviceId), ("@status0", status), ("@status1", status), ("@status2", status), ("@now", time),
            ("@limit", c.Mapping(nameof(Command.DeliveryCount))));
        _nextLostOrdinal = c.Count + a.Count + _devices.Count;

        var othersOpen = (string statuses) =>
            $"""
             EXISTS (SELECT 1 FROM {c.Table} AS o WHERE o.{c[nameof(Command.DeviceId)]} = c.{c[nameof(Command.DeviceId)]}
               AND o.{c[nameof(Command.Id)]} <> c.{c[nameof(Command.Id)]} AND o.{c[nameof(Command.Status)]} IN ({statuses})
               AND {notExpired("o")})
             """;
        _report = new PreparedStatement(
            $"""
             SELECT {c.SelectList("c")}, {a.SelectList("a")},
               {othersOpen("@queued, @sent")},
               {othersOpen("@queued, @sent, @notNow")}
             FROM {c.Table} AS c
             LEFT JOIN {a.Table} AS a ON a.{a[nameof(DeviceAction.Id)]} = c.{c[nameof(Command.DeviceActionId)]}
             WHERE c.{c[nameof(Command.Id)]} = @id
             """,
            ("@queued", status), ("@sent", status), ("@now", time), ("@notNow", status), ("@id", id));
        _reportWaitingOrdinal = c.Count + a.Count;

        _claim = new PreparedStatement(
            $"""
             UPDATE {c.Table} SET {c[nameof(Command.Status)]} = @status, {c[nameof(Command.DeliveryCount)]} = @count,
               {c[nameof(Command.LastSentAt)]} = @now
             WHERE {c[nameof(Command.Id)]} = @id AND {c[nameof(Command.Status)]} = @seenStatus AND {c[nameof(Command.DeliveryCount)]} = @seenCount
             """,
            ("@status", status), ("@count", c.Mapping(nameof(Command.DeliveryCount))), ("@now", c.Mapping(nameof(Command.LastSentAt))),
            ("@id", id), ("@seenStatus", status), ("@seenCount", c.Mapping(nameof(Command.DeliveryCount))));

        _record = new PreparedStatement(
            $"""
             UPDATE {c.Table} SET {c[nameof(Command.Status)]} = @status, {c[nameof(Command.FinishedAt)]} = @finished,
               {c[nameof(Command.Error)]} = @error
             WHERE {c[nameof(Command.Id)]} = @id AND {c[nameof(Command.Status)]} IN (@from0, @from1, @from2)
             """,
            ("@status", status), ("@finished", c.Mapping(nameof(Command.FinishedAt))), ("@error", c.Mapping(nameof(Command.Error))),
            ("@id", id), ("@from0", status), ("@from1", status), ("@from2", status));

    }

    /// <summary>The device's next commands that can be handed out now (at most <paramref name="limit"/>), each with its action, the device's facts and the request's lost confirmation.</summary>
    public async Task<List<QueuedCommand>> NextAsync(DbContext db, Guid deviceId, bool newSession, int limit, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var statuses = newSession ? CommandStatuses.Open : [CommandStatus.Queued, CommandStatus.Sent, CommandStatus.Sent];
        var next = new List<QueuedCommand>(Math.Min(limit, 4));
        await using var reader = await _next.Bind(db, deviceId, statuses[0], statuses[1], statuses[2], now, limit).ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var command = _commands.Read(reader, 0)!;
            var action = _actions.Read(reader, _commands.Count);
            var device = _devices.Read(reader, _commands.Count + _actions.Count)!;
            var lostConfirmed = !reader.IsDBNull(_nextLostOrdinal) && reader.GetBoolean(_nextLostOrdinal);
            next.Add(new QueuedCommand(command, action, device, lostConfirmed));
        }
        return next;
    }

    /// <summary>A command with its action, and whether its device has other commands waiting in this session / open at all.</summary>
    public async Task<ReportedCommand?> ReportAsync(DbContext db, Guid commandId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var reader = await _report.Bind(db, CommandStatus.Queued, CommandStatus.Sent, now, CommandStatus.NotNow, commandId)
            .ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new ReportedCommand(_commands.Read(reader, 0)!, _actions.Read(reader, _commands.Count),
            reader.GetBoolean(_reportWaitingOrdinal), reader.GetBoolean(_reportWaitingOrdinal + 1));
    }

    /// <summary>Marks a command sent unless it moved since <paramref name="seen"/> was read; true when it was claimed.</summary>
    public async Task<bool> ClaimAsync(DbContext db, Command seen, DateTimeOffset now, CancellationToken cancellationToken) =>
        await _claim.ExecuteAsync(db, cancellationToken, CommandStatus.Sent, seen.DeliveryCount + 1, now, seen.Id, seen.Status, seen.DeliveryCount) == 1;

    /// <summary>Records a command's outcome if its status is one of <paramref name="from"/> (one to three); true when it changed.</summary>
    public async Task<bool> RecordAsync(DbContext db, Guid commandId, CommandStatus status, DateTimeOffset? finished, string? error,
        IReadOnlyList<CommandStatus> from, CancellationToken cancellationToken) =>
        await _record.ExecuteAsync(db, cancellationToken, status, finished, error, commandId,
            from[0], from[Math.Min(1, from.Count - 1)], from[Math.Min(2, from.Count - 1)]) == 1;
}
