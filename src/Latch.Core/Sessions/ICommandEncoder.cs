using Latch.Core.Actions;
using Latch.Core.Commands;

namespace Latch.Core.Sessions;

/// <summary>
/// A channel's encoder: a queued, channel-neutral command as the channel's wire command. It runs before the command is
/// claimed, so a command the channel cannot run (an Apple ClearPasscode without an unlock token, a command type the
/// platform has no counterpart for) fails with the encoder's reason and is never recorded as sent.
/// </summary>
/// <typeparam name="TWire">What the channel sends: an encoded plist, a SyncML command, a JSON command.</typeparam>
public interface ICommandEncoder<TWire>
{
    /// <param name="action">The remote action the command carries out, when it carries one (an Android reset's temporary passcode is on it, encrypted).</param>
    CommandEncoding<TWire> Encode(Command command, DeviceAction? action);
}

/// <summary>The wire command, or why the device cannot be sent one.</summary>
public readonly record struct CommandEncoding<TWire>(TWire? Wire, string? WhyNot);

public static class CommandEncoding
{
    public static CommandEncoding<TWire> Send<TWire>(TWire wire) => new(wire, null);

    public static CommandEncoding<TWire> Refuse<TWire>(string whyNot) => new(default, whyNot);
}
