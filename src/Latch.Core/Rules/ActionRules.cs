using Latch.Core.Devices;

namespace Latch.Core.Rules;

/// <summary>
/// SPEC §2–4 as one pure function of a device's facts. It serves every way in (API, console, CLI, portal)
/// and runs again when a command is about to be sent, because facts change between request and delivery.
/// Checks go from the broadest cause to the narrowest so the reason names what an administrator can fix.
/// </summary>
public static class ActionRules
{
    private static readonly OsVersion Android7 = OsVersion.Of(7, 0);
    private static readonly OsVersion Windows10CreatorsUpdate = OsVersion.Of(10, 0, 15063);

    /// <param name="lostDeviceConfirmed">The requester knows the device is marked lost and resets its passcode anyway.</param>
    public static RuleVerdict Evaluate(RemoteAction action, Device device, bool lostDeviceConfirmed = false) => action switch
    {
        RemoteAction.RemoteLock => RemoteLock(device),
        RemoteAction.ResetPasscode => ResetPasscode(device, lostDeviceConfirmed),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown remote action."),
    };

    private static RuleVerdict RemoteLock(Device device)
    {
        if (ChannelRefusal(device, "locked") is { } refusal) return refusal;

        switch (device.Platform)
        {
            case Platform.MacOS:
                return RuleVerdict.NotSupported("Remote lock is not supported on macOS.");
            case Platform.Windows10Desktop:
                return RuleVerdict.NotSupported("Remote lock is not supported on Windows 10 desktop.");
            case Platform.WindowsRT or Platform.Windows81 when !EnrollingUserIsSignedIn(device):
                return RuleVerdict.NotSupported(
                    $"{device.Platform.DisplayName()} devices can be locked only while the user who enrolled them is signed in; " +
                    (device.CurrentUserId is null && !device.OtherUserSignedIn ? "nobody is signed in now." : "another user is signed in now."));
        }

        if (!device.PasscodeSet)
            return RuleVerdict.NotSupported(
                "The device has no PIN or passcode set, so a remote lock could not be undone by its owner. " +
                "Ask the user to set a passcode (or require one by policy), then lock it.");

        return RuleVerdict.Supported;
    }

    private static RuleVerdict ResetPasscode(Device device, bool lostDeviceConfirmed)
    {
        if (ChannelRefusal(device, "reset") is { } refusal) return refusal;

        var verdict = device.Platform switch
        {
            Platform.IOS when !device.HasUnlockToken => RuleVerdict.NotSupported(
                "The device has not sent its unlock token yet, and iOS clears a passcode only with it. " +
                "It arrives with the device's next token update check-in; try again after the device checks in."),
            Platform.IOS => RuleVerdict.Supported,
            Platform.Android when device.OsVersion >= Android7 => RuleVerdict.NotSupported(
                $"Android 7.0 and later do not allow a passcode reset by a device administrator (this device runs {device.OsVersion}). " +
                "Enrol it with a work profile to manage its passcode, or ask the user to change it."),
            Platform.Android => RuleVerdict.Supported,
            Platform.Windows10Mobile when device.OsVersion < Windows10CreatorsUpdate => RuleVerdict.NotSupported(
                $"Windows 10 Mobile supports a passcode reset from the Creators Update (build 15063) on; this device runs build {device.OsVersion.Build}. " +
                "Update it to reset its PIN."),
            Platform.Windows10Mobile when !device.AzureAdJoined => RuleVerdict.NotSupported(
                "Windows 10 Mobile supports a passcode reset only on Azure AD joined devices; this device is not joined. " +
                "Join it to Azure AD to reset its PIN."),
            Platform.Windows10Mobile or Platform.WindowsPhone81 => RuleVerdict.Supported,
            _ => RuleVerdict.NotSupported($"Passcode reset is not supported on {device.Platform.DisplayName()}."),
        };
        if (!verdict.IsSupported) return verdict;

        if (device.IsLost && !lostDeviceConfirmed)
            return RuleVerdict.NotSupported(
                "The device is marked lost, and a passcode reset would leave it unprotected in someone else's hands. " +
                "Confirm that you know it is lost to reset the passcode anyway, or lock it instead.");

        return RuleVerdict.Supported;
    }

    // Refusals that come from how Latch reaches the device, whatever its platform.
    private static RuleVerdict? ChannelRefusal(Device device, string verb) => device switch
    {
        { UnenrolledAt: { } left } => RuleVerdict.NotSupported(
            $"The device left management on {left:yyyy-MM-dd HH:mm} UTC (its management profile was removed), so it cannot be {verb}. " +
            "Enrol it again first."),
        _ => device.Channel switch
        {
            ManagementChannel.PcSoftwareClient => RuleVerdict.NotSupported(
                $"Windows PCs managed by the PC software client cannot be {verb} remotely. Enrol the PC in MDM instead."),
            ManagementChannel.ExchangeActiveSyncOnly => RuleVerdict.NotSupported(
                "This device is known only through Exchange ActiveSync, which has no lock or passcode reset " +
                "(only remote wipe). Enrol the device in MDM to lock it or reset its passcode."),
            _ => null,
        },
    };

    private static bool EnrollingUserIsSignedIn(Device device) =>
        device.CurrentUserId is { } current && current == device.EnrolledByUserId;
}
