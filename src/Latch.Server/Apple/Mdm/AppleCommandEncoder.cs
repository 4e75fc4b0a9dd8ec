using Latch.Core.Actions;
using Latch.Core.Commands;
using Latch.Core.Enrollment;
using Latch.Core.Secrets;
using Latch.Core.Sessions;
using Latch.Protocols.Apple;

namespace Latch.Server.Apple.Mdm;

/// <summary>Latch's channel-neutral commands as Apple MDM commands, for one enrolment; the CommandUUID is the command's id.</summary>
public sealed class AppleCommandEncoder(AppleEnrollment enrollment, SecretProtector secrets) : ICommandEncoder<MdmCommand>
{
    public CommandEncoding<MdmCommand> Encode(Command command, DeviceAction? action)
    {
        var uuid = command.Id.ToString("D").ToUpperInvariant();
        return command.Type switch
        {
            CommandTypes.RemoteLock => CommandEncoding.Send<MdmCommand>(new DeviceLock(uuid)),
            // The token is decrypted only here, for the command about to be sent, and never logged.
            CommandTypes.ResetPasscode => enrollment.ProtectedUnlockToken is { } stored
                ? CommandEncoding.Send<MdmCommand>(new ClearPasscode(uuid, Convert.FromBase64String(secrets.Unprotect(stored))))
                : CommandEncoding.Refuse<MdmCommand>("The device has no unlock token on record, and iOS clears a passcode only with it."),
            CommandTypes.QueryDeviceInformation => CommandEncoding.Send<MdmCommand>(new DeviceInformation(uuid, DeviceInformationAnswer.Queries)),
            CommandTypes.QuerySecurityInfo => CommandEncoding.Send<MdmCommand>(new SecurityInfo(uuid)),
            _ => CommandEncoding.Refuse<MdmCommand>($"'{command.Type}' is not a command Apple devices run."),
        };
    }
}
