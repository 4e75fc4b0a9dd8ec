using Latch.Core.Devices;
using Latch.Core.Rules;

namespace Latch.Core.Tests.Rules;

/// <summary>A device that left management (Apple CheckOut) cannot be reached, whatever its platform allows.</summary>
public sealed class UnenrolledDeviceRulesTests
{
    private static readonly DateTimeOffset Left = new(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(RemoteAction.RemoteLock)]
    [InlineData(RemoteAction.ResetPasscode)]
    public void UnenrolledDevice_IsRefused_SayingWhenItLeftAndWhatToDo(RemoteAction action)
    {
        var device = TestDevices.Of(Platform.IOS, adjust: d => { d.UnenrolledAt = Left; d.HasUnlockToken = true; });

        var verdict = ActionRules.Evaluate(action, device);

        Assert.False(verdict.IsSupported);
        Assert.Contains("left management on 2026-11-02 09:30 UTC", verdict.Reason);
        Assert.Contains("Enrol it again", verdict.Reason);
    }

    [Fact]
    public void SameDevice_EnrolledAgain_IsSupported()
    {
        var device = TestDevices.Of(Platform.IOS, adjust: d => { d.UnenrolledAt = null; d.HasUnlockToken = true; });
        Assert.True(ActionRules.Evaluate(RemoteAction.ResetPasscode, device).IsSupported);
        Assert.True(ActionRules.Evaluate(RemoteAction.RemoteLock, device).IsSupported);
    }
}
