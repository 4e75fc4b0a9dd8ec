using System.Globalization;

namespace Latch.Protocols.Windows;

/// <summary>
/// A SyncBody child (MS-MDM §2.2.6, §2.2.7). <see cref="Name"/> is the element name, which is also what a
/// Status's Cmd names.
/// </summary>
public abstract record SyncCommand
{
    /// <summary>Unique within the message (MS-MDM §2.2.3.2); Windows accepts any non-empty text.</summary>
    public required string CmdId { get; init; }

    public abstract string Name { get; }
}

/// <summary>Alert (MS-MDM §2.2.7.2): Data is the alert code (<see cref="SyncAlertCodes"/>).</summary>
public sealed record SyncAlert : SyncCommand
{
    public override string Name => "Alert";

    public required string Data { get; init; }

    public IReadOnlyList<SyncItem> Items { get; init; } = [];
}

/// <summary>
/// Status (MS-MDM §2.2.6.1): the result of one command of the other side's previous message, CmdRef 0 with
/// Cmd SyncHdr for the header. MsgRef is required here (OMA RepPro's DTD; only Results may omit it).
/// </summary>
public sealed record SyncStatus : SyncCommand
{
    public override string Name => "Status";

    public required string MsgRef { get; init; }

    public required string CmdRef { get; init; }

    public required string Cmd { get; init; }

    /// <summary>The status code as sent, e.g. "200" (<see cref="SyncStatusCodes"/>).</summary>
    public required string Data { get; init; }

    /// <summary><see cref="Data"/> as a number; null when it is not one.</summary>
    public int? Code =>
        int.TryParse(Data, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var code)
            ? code
            : null;

    public IReadOnlyList<string> TargetRefs { get; init; } = [];

    public IReadOnlyList<string> SourceRefs { get; init; } = [];

    /// <summary>A challenge: the sender wants (other) credentials, with the scheme and nonce in its Meta.</summary>
    public SyncCred? Chal { get; init; }

    public IReadOnlyList<SyncItem> Items { get; init; } = [];

    /// <summary>msft:originalerror on Data: the failing component's HRESULT (MS-MDM §2.2.5.1).</summary>
    public string? OriginalError { get; init; }
}

/// <summary>The commands that act on items: CmdID, an optional Meta for all items, then the items.</summary>
public abstract record SyncItemCommand : SyncCommand
{
    public SyncMeta? Meta { get; init; }

    public IReadOnlyList<SyncItem> Items { get; init; } = [];
}

/// <summary>Get: read nodes; the device answers with Status and Results.</summary>
public sealed record SyncGet : SyncItemCommand
{
    public override string Name => "Get";
}

/// <summary>Replace: set nodes (also how a device reports DevInfo in package 1).</summary>
public sealed record SyncReplace : SyncItemCommand
{
    public override string Name => "Replace";
}

/// <summary>Add: create nodes.</summary>
public sealed record SyncAdd : SyncItemCommand
{
    public override string Name => "Add";
}

/// <summary>Delete: remove nodes and their subtrees.</summary>
public sealed record SyncDelete : SyncItemCommand
{
    public override string Name => "Delete";
}

/// <summary>Exec: run a node (e.g. ./Vendor/MSFT/RemoteLock/Lock).</summary>
public sealed record SyncExec : SyncItemCommand
{
    public override string Name => "Exec";
}

/// <summary>
/// Results: the values a Get asked for. MS-MDM adds Cmd (the spec's §4 example); MsgRef may be omitted
/// (OMA RepPro's DTD makes it optional here, unlike in Status).
/// </summary>
public sealed record SyncResults : SyncItemCommand
{
    public override string Name => "Results";

    public string? MsgRef { get; init; }

    public required string CmdRef { get; init; }

    public string? Cmd { get; init; }

    public IReadOnlyList<string> TargetRefs { get; init; } = [];

    public IReadOnlyList<string> SourceRefs { get; init; } = [];
}

/// <summary>Atomic (MS-MDM §2.2.7.3): all inner commands succeed or none do (507/516 on failure).</summary>
public sealed record SyncAtomic : SyncCommand
{
    public override string Name => "Atomic";

    public SyncMeta? Meta { get; init; }

    public IReadOnlyList<SyncCommand> Commands { get; init; } = [];
}

/// <summary>
/// Sequence (OMA-SyncML RepPro 1.2.2): inner commands run in order, e.g. RemoteLock's LockAndResetPIN then Get
/// NewPINValue, which the CSP requires in one Sequence.
/// </summary>
public sealed record SyncSequence : SyncCommand
{
    public override string Name => "Sequence";

    public SyncMeta? Meta { get; init; }

    public IReadOnlyList<SyncCommand> Commands { get; init; } = [];
}
