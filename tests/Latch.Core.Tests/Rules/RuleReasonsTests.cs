using Latch.Core.Devices;
using Latch.Core.Rules;

namespace Latch.Core.Tests.Rules;

/// <summary>Properties that hold over every combination of facts, not just the table rows.</summary>
public sealed class RuleReasonsTests
{
    public static TheoryData<RemoteAction, Platform, ManagementChannel> Everything()
    {
        var data = new TheoryData<RemoteAction, Platform, ManagementChannel>();
        foreach (var action in Enum.GetValues<RemoteAction>())
            foreach (var platform in Enum.GetValues<Platform>())
                foreach (var channel in Enum.GetValues<ManagementChannel>())
                    data.Add(action, platform, channel);
        return data;
    }

    [Theory]
    [MemberData(nameof(Everything))]
    public void Verdict_EveryRefusal_IsASentence_AndEverySupportHasNoReason(RemoteAction action, Platform platform, ManagementChannel channel)
    {
        foreach (var passcodeSet in new[] { true, false })
            foreach (var lost in new[] { true, false })
            {
                var device = TestDevices.Of(platform, adjust: d => { d.Channel = channel; d.PasscodeSet = passcodeSet; d.IsLost = lost; });
                var verdict = ActionRules.Evaluate(action, device);
                if (verdict.IsSupported)
                {
                    Assert.Null(verdict.Reason);
                }
                else
                {
                    Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
                    Assert.True(char.IsUpper(verdict.Reason![0]), verdict.Reason);
                    Assert.EndsWith(".", verdict.Reason);
                }
            }
    }

    [Theory]
    [MemberData(nameof(Everything))]
    public void Verdict_FollowsTheChannel_ExchangeOrPcClientNever_DualManagedAsMdm(RemoteAction action, Platform platform, ManagementChannel channel)
    {
        var overMdm = ActionRules.Evaluate(action, TestDevices.Of(platform), lostDeviceConfirmed: true);
        var overChannel = ActionRules.Evaluate(action, TestDevices.Of(platform, adjust: d => d.Channel = channel), lostDeviceConfirmed: true);
        var expected = channel is ManagementChannel.DirectMdm or ManagementChannel.DirectMdmAndExchangeActiveSync && overMdm.IsSupported;
        Assert.Equal(expected, overChannel.IsSupported);
    }

    [Fact]
    public void Evaluate_UnknownAction_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ActionRules.Evaluate((RemoteAction)42, TestDevices.Of(Platform.IOS)));
}
