using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Sessions;
using Latch.Protocols.Windows;

namespace Latch.Server.Windows.Mdm;

/// <summary>
/// Latch's channel-neutral commands as OMA-DM commands (MS-MDM §2.2.3). A command's CmdID is its Latch id, so the
/// device's Status (CmdRef) names the command without any state kept between messages (CmdIDs stay unique in the
/// session, as MS-MDM §2.2.3.1 asks); the parts of a <c>Sequence</c> carry the id with a suffix (<see cref="CommandRef"/>).
/// </summary>
public sealed class WindowsCommandEncoder : ICommandEncoder<SyncCommand>
{
    public static readonly WindowsCommandEncoder Instance = new();

    // RemoteLock CSP (learn.microsoft.com/windows/client-management/mdm/remotelock-csp): Lock, LockAndResetPIN, NewPINValue.
    public const string LockUri = "./Vendor/MSFT/RemoteLock/Lock";
    public const string LockAndResetPinUri = "./Vendor/MSFT/RemoteLock/LockAndResetPIN";
    public const string NewPinValueUri = "./Vendor/MSFT/RemoteLock/NewPINValue";

    /// <summary>What the device-information query asks (DevDetail and DevInfo CSPs): OS build, edition, maker and model.</summary>
    public static readonly string[] DeviceInformationUris =
    [
        "./DevDetail/SwV", "./DevDetail/Ext/Microsoft/OSPlatform", "./DevDetail/Ext/Microsoft/DeviceName", "./DevInfo/Man", "./DevInfo/Mod",
    ];

    public CommandEncoding<SyncCommand> Encode(Command command, DeviceAction? action)
    {
        var id = CommandRef.Of(command.Id);
        return command.Type switch
        {
            CommandTypes.RemoteLock => CommandEncoding.Send<SyncCommand>(new SyncExec { CmdId = id, Items = [new SyncItem { Target = LockUri }] }),
            // One Sequence, as the CSP requires: the PIN made by LockAndResetPIN is readable once, by the Get right after it.
            CommandTypes.ResetPasscode => CommandEncoding.Send<SyncCommand>(new SyncSequence
            {
                CmdId = id,
                Commands =
                [
                    new SyncExec { CmdId = CommandRef.Of(command.Id, CommandRef.ResetPart), Items = [new SyncItem { Target = LockAndResetPinUri }] },
                    new SyncGet { CmdId = CommandRef.Of(command.Id, CommandRef.NewPinPart), Items = [new SyncItem { Target = NewPinValueUri }] },
                ],
            }),
            CommandTypes.QueryDeviceInformation => CommandEncoding.Send<SyncCommand>(new SyncGet
            {
                CmdId = id, Items = DeviceInformationUris.Select(uri => new SyncItem { Target = uri }).ToList(),
            }),
            _ => CommandEncoding.Refuse<SyncCommand>($"'{command.Type}' is not a command Windows devices run."),
        };
    }
}

/// <summary>How a Latch command id travels as a SyncML CmdID / CmdRef: the id itself, or the id and a part of a Sequence.</summary>
public static class CommandRef
{
    public const string ResetPart = "reset";
    public const string NewPinPart = "pin";

    public static string Of(Guid commandId, string? part = null) => part is null ? commandId.ToString("D") : $"{commandId:D}.{part}";

    /// <summary>The command id and part a device's CmdRef names; false when it names nothing Latch could have sent.</summary>
    public static bool TryParse(string? cmdRef, out Guid commandId, out string? part)
    {
        part = null;
        commandId = default;
        if (cmdRef is null || cmdRef.Length < 36 || !Guid.TryParseExact(cmdRef.AsSpan(0, 36), "D", out commandId)) return false;
        if (cmdRef.Length == 36) return true;
        if (cmdRef[36] != '.') return false;
        part = cmdRef[37..];
        return part is ResetPart or NewPinPart;
    }
}
