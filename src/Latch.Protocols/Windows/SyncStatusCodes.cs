namespace Latch.Protocols.Windows;

/// <summary>
/// Status codes a Status's Data carries (MS-MDM §2.2.6.1 defers to OMA-SyncML RepPro 1.2.2 §10). 2xx is
/// success, 4xx the request's fault, 5xx the recipient's.
/// </summary>
public static class SyncStatusCodes
{
    /// <summary>The command completed.</summary>
    public const int Ok = 200;

    /// <summary>Accepted; the result comes later (e.g. a Generic Alert 1226 when an asynchronous CSP finishes).</summary>
    public const int AcceptedForProcessing = 202;

    /// <summary>The credentials were accepted; no Cred is needed again in this session.</summary>
    public const int AuthenticationAccepted = 212;

    /// <summary>One chunk of a large object arrived; send the next.</summary>
    public const int ChunkedItemAccepted = 213;

    /// <summary>The command was cancelled before it completed (e.g. the session was aborted).</summary>
    public const int OperationCancelled = 214;

    /// <summary>Not run, e.g. the user declined, or an earlier command of a Sequence failed.</summary>
    public const int NotExecuted = 215;

    /// <summary>An inner command of an Atomic failed and the others were rolled back.</summary>
    public const int AtomicRollBackOk = 216;

    /// <summary>The command is malformed or not a known OMA DM command (Windows: also for a missing CmdID).</summary>
    public const int BadRequest = 400;

    /// <summary>The credentials were wrong.</summary>
    public const int InvalidCredentials = 401;

    /// <summary>Understood but refused, e.g. the node's access control list does not allow the server.</summary>
    public const int Forbidden = 403;

    /// <summary>The target node does not exist.</summary>
    public const int NotFound = 404;

    /// <summary>The command is not allowed on this node (RemoteLock/Lock: no PIN is set, so the lock was ignored).</summary>
    public const int CommandNotAllowed = 405;

    /// <summary>An optional feature the command needs is not supported.</summary>
    public const int OptionalFeatureNotSupported = 406;

    /// <summary>Credentials are required and were missing.</summary>
    public const int MissingCredentials = 407;

    /// <summary>The command is incomplete (a required element is missing).</summary>
    public const int IncompleteCommand = 412;

    /// <summary>The data is larger than the recipient accepts.</summary>
    public const int RequestEntityTooLarge = 413;

    /// <summary>The Meta Type or Format is not supported for this node.</summary>
    public const int UnsupportedMediaTypeOrFormat = 415;

    /// <summary>The object's announced size is too big for the recipient.</summary>
    public const int RequestedSizeTooBig = 416;

    /// <summary>Add of a node that already exists.</summary>
    public const int AlreadyExists = 418;

    /// <summary>A chunked object's received size does not match the announced Meta Size.</summary>
    public const int SizeMismatch = 424;

    /// <summary>The server may not run this command on this node (Windows: the node is outside the enrolment's scope).</summary>
    public const int PermissionDenied = 425;

    /// <summary>The command failed on the recipient; Windows adds msft:originalerror with the HRESULT.</summary>
    public const int CommandFailed = 500;

    /// <summary>An inner command of an Atomic failed, so the Atomic failed (Windows: also for a nested Atomic).</summary>
    public const int AtomicFailed = 507;

    /// <summary>An Atomic failed and its rollback failed too; the node state is unknown.</summary>
    public const int AtomicRollBackFailed = 516;

    /// <summary>A 2xx code: the command succeeded or was accepted.</summary>
    public static bool IsSuccess(int code) => code is >= 200 and < 300;
}
