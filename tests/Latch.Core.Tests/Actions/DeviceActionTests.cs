using System.Reflection;
using Latch.Core.Actions;
using Latch.Core.Rules;

namespace Latch.Core.Tests.Actions;

public sealed class DeviceActionTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly ActionRequest Request = new() { Action = RemoteAction.RemoteLock, RequestedBy = "helpdesk@example", RequestedAt = Start };

    private static DeviceAction Queued() => DeviceAction.Queue(Request, Guid.NewGuid(), Guid.NewGuid());

    [Fact]
    public void Queue_StartsPending_WithRequesterAndTime()
    {
        var action = Queued();
        Assert.Equal(DeviceActionState.Pending, action.State);
        Assert.Equal("helpdesk@example", action.RequestedBy);
        Assert.Equal(Start, action.RequestedAt);
        Assert.Equal(Request.Id, action.RequestId);
        Assert.Empty(action.Transitions);
    }

    [Fact]
    public void Refuse_StartsNotSupported_WithTheReason()
    {
        var action = DeviceAction.Refuse(Request, Guid.NewGuid(), "Remote lock is not supported on macOS.");
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Equal("Remote lock is not supported on macOS.", action.Reason);
    }

    [Fact]
    public void HappyPath_RecordsEveryTransitionWithTime()
    {
        var action = Queued();
        action.MarkSent(Start.AddSeconds(1));
        action.Defer(Start.AddSeconds(2));
        action.MarkSent(Start.AddSeconds(3));
        action.Complete(Start.AddSeconds(4));

        Assert.Equal(DeviceActionState.Done, action.State);
        Assert.Equal(Start.AddSeconds(4), action.LastUpdatedAt);
        Assert.Equal(
            [(DeviceActionState.Pending, DeviceActionState.Active), (DeviceActionState.Active, DeviceActionState.Pending),
             (DeviceActionState.Pending, DeviceActionState.Active), (DeviceActionState.Active, DeviceActionState.Done)],
            action.Transitions.Select(t => (t.From, t.To)));
        Assert.Equal([1, 2, 3, 4], action.Transitions.Select(t => (int)(t.At - Start).TotalSeconds));
    }

    [Fact]
    public void Fail_KeepsTheDeviceError()
    {
        var action = Queued();
        action.MarkSent(Start);
        action.Fail("The device reported 500: lock failed.", Start);
        Assert.Equal(DeviceActionState.Failed, action.State);
        Assert.Equal("The device reported 500: lock failed.", action.Reason);
        Assert.Equal("The device reported 500: lock failed.", action.Transitions[^1].Detail);
    }

    [Fact]
    public void Cancel_RecordsWho()
    {
        var action = Queued();
        action.Cancel("admin@example", Start);
        Assert.Equal(DeviceActionState.Canceled, action.State);
        Assert.Contains("admin@example", action.Transitions.Single().Detail);
    }

    [Fact]
    public void Withdraw_PendingBecomesNotSupported()
    {
        var action = Queued();
        action.Withdraw("The device has no PIN or passcode set.", Start);
        Assert.Equal(DeviceActionState.NotSupported, action.State);
        Assert.Equal("The device has no PIN or passcode set.", action.Reason);
    }

    public static TheoryData<string, DeviceActionState> IllegalMoves() => new()
    {
        { nameof(DeviceAction.Complete), DeviceActionState.Pending },      // done before it was sent
        { nameof(DeviceAction.Defer), DeviceActionState.Pending },
        { nameof(DeviceAction.MarkSent), DeviceActionState.Active },
        { nameof(DeviceAction.Cancel), DeviceActionState.Active },        // the device may already have run it
        { nameof(DeviceAction.Withdraw), DeviceActionState.Active },
        { nameof(DeviceAction.MarkSent), DeviceActionState.Done },
        { nameof(DeviceAction.Fail), DeviceActionState.Done },
        { nameof(DeviceAction.Cancel), DeviceActionState.Done },
        { nameof(DeviceAction.Complete), DeviceActionState.Failed },
        { nameof(DeviceAction.MarkSent), DeviceActionState.Canceled },
        { nameof(DeviceAction.MarkSent), DeviceActionState.NotSupported },
        { nameof(DeviceAction.Complete), DeviceActionState.NotSupported },
        { nameof(DeviceAction.Fail), DeviceActionState.NotSupported },
    };

    [Theory]
    [MemberData(nameof(IllegalMoves))]
    public void IllegalMove_Throws_AndChangesNothing(string move, DeviceActionState from)
    {
        var action = In(from);
        var transitions = action.Transitions.Count;
        var error = Assert.Throws<InvalidOperationException>(() => Apply(action, move));
        Assert.Contains($"from {from}", error.Message);
        Assert.Equal(from, action.State);
        Assert.Equal(transitions, action.Transitions.Count);
    }

    private static DeviceAction In(DeviceActionState state)
    {
        if (state == DeviceActionState.NotSupported) return DeviceAction.Refuse(Request, Guid.NewGuid(), "No.");
        var action = Queued();
        switch (state)
        {
            case DeviceActionState.Active: action.MarkSent(Start); break;
            case DeviceActionState.Done: action.MarkSent(Start); action.Complete(Start); break;
            case DeviceActionState.Failed: action.Fail("Error.", Start); break;
            case DeviceActionState.Canceled: action.Cancel("x", Start); break;
        }
        return action;
    }

    private static void Apply(DeviceAction action, string move)
    {
        try
        {
            object[] arguments = move switch
            {
                nameof(DeviceAction.Fail) or nameof(DeviceAction.Withdraw) or nameof(DeviceAction.Cancel) => ["why", Start],
                _ => [Start],
            };
            typeof(DeviceAction).GetMethod(move, BindingFlags.Public | BindingFlags.Instance)!.Invoke(action, arguments);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is not null)
        {
            throw wrapped.InnerException;
        }
    }
}
