namespace Latch.Core.Rules;

/// <summary>The remote tasks Latch runs on devices. Names match Graph's action names (remoteLock, resetPasscode).</summary>
public enum RemoteAction
{
    RemoteLock,
    ResetPasscode,
}

/// <summary>The answer of the rules engine for one device: supported, or not with a sentence saying why.</summary>
public readonly record struct RuleVerdict(bool IsSupported, string? Reason)
{
    public static RuleVerdict Supported { get; } = new(true, null);
    public static RuleVerdict NotSupported(string reason) => new(false, reason);
}
