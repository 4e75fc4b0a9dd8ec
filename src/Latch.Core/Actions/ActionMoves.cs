using System.Runtime.CompilerServices;
using Latch.Core.Audit;
using Latch.Core.Data.Prepared;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Actions;

/// <summary>
/// The one way a moved action is written: what its own methods changed (state, reason, time, a passcode the device
/// returned), each new transition, and the audit event of each transition (SPEC §5). Prepared statements (see
/// <see cref="PreparedStatement"/>), because a device's round trip moves an action twice.
/// </summary>
internal sealed class ActionMoves
{
    private static readonly ConditionalWeakTable<IModel, ActionMoves> ByModel = new();

    private readonly EntityColumns<DeviceActionTransition> _transitions;
    private readonly EntityColumns<AuditEvent> _audit;
    private readonly PreparedStatement _move, _insertTransition, _insertAudit;

    public static ActionMoves For(DbContext db) =>
        ByModel.GetValue(db.Model, model => new ActionMoves(model, db.GetService<ISqlGenerationHelper>()));

    private ActionMoves(IModel model, ISqlGenerationHelper sql)
    {
        var a = new EntityColumns<DeviceAction>(model, sql);
        _transitions = new EntityColumns<DeviceActionTransition>(model, sql);
        _audit = new EntityColumns<AuditEvent>(model, sql);
        _move = new PreparedStatement(
            $"""
             UPDATE {a.Table} SET {a[nameof(DeviceAction.State)]} = @state, {a[nameof(DeviceAction.Reason)]} = @reason,
               {a[nameof(DeviceAction.LastUpdatedAt)]} = @at, {a[nameof(DeviceAction.ProtectedPasscode)]} = @passcode
             WHERE {a[nameof(DeviceAction.Id)]} = @id
             """,
            ("@state", a.Mapping(nameof(DeviceAction.State))), ("@reason", a.Mapping(nameof(DeviceAction.Reason))),
            ("@at", a.Mapping(nameof(DeviceAction.LastUpdatedAt))), ("@passcode", a.Mapping(nameof(DeviceAction.ProtectedPasscode))),
            ("@id", a.Mapping(nameof(DeviceAction.Id))));
        _insertTransition = _transitions.Insert();
        _insertAudit = _audit.Insert();
    }

    /// <summary>Writes a detached action that its methods moved, in the context's transaction (which must be open).</summary>
    public async Task SaveAsync(DbContext db, DeviceAction action, CancellationToken cancellationToken)
    {
        await _move.ExecuteAsync(db, cancellationToken, action.State, action.Reason, action.LastUpdatedAt, action.ProtectedPasscode, action.Id);
        foreach (var transition in action.Transitions)
        {
            await _insertTransition.ExecuteAsync(db, cancellationToken, _transitions.InsertValues(transition));
            await _insertAudit.ExecuteAsync(db, cancellationToken, _audit.InsertValues(StateChangeAudit(action, transition)));
        }
        action.Transitions.Clear();
    }

    private static AuditEvent StateChangeAudit(DeviceAction action, DeviceActionTransition transition) => new()
    {
        At = transition.At,
        Actor = transition.By,
        Kind = AuditKinds.ActionStateChanged,
        DeviceId = action.DeviceId,
        DeviceActionId = action.Id,
        ActionRequestId = action.RequestId,
        Detail = $"{action.Action}: {transition.From} → {transition.To}. {transition.Detail}",
    };
}
