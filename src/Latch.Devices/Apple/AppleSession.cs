using System.Net;
using Latch.Protocols.Apple;

namespace Latch.Devices.Apple;

// What one command-channel session did: the commands handled, and the HTTP error that ended it early.
public sealed record AppleSession(IReadOnlyList<ReceivedCommand> Commands, AppleHttpError? Error)
{
    // True when the server ended the session with an empty body.
    public bool Completed => Error is null;
}

// One command the device received and how it answered it (Acknowledged, Error, CommandFormatError, NotNow).
// Raw is the command body exactly as received.
public sealed record ReceivedCommand(
    int Sequence, string CommandUUID, string RequestType, CommandResponseStatus Answer, string Detail, ReadOnlyMemory<byte> Raw);

// A request the server refused (StatusCode) or that never reached it (StatusCode null). Request names
// what was sent: Authenticate, TokenUpdate, CheckOut, Idle, or the report on a command.
public sealed record AppleHttpError(string Request, Uri Url, HttpStatusCode? StatusCode, string Message)
{
    public override string ToString() =>
        StatusCode is { } status ? $"{Request} to {Url}: {(int)status} {status}. {Message}".TrimEnd() : $"{Request} to {Url}: {Message}";
}

// The server's answer to SendRawAsync, whatever its status.
public sealed record AppleRawResponse(HttpStatusCode StatusCode, ReadOnlyMemory<byte> Body);

// How SendRawAsync signs its body (the Mdm-Signature header).
public enum SignatureMode
{
    // Signed by the enrolled identity over the exact body, as a real device signs.
    Valid,

    // No Mdm-Signature header at all.
    None,

    // Signed by the enrolled identity, but over other bytes: the digest does not match the body.
    Forged,

    // A well-formed signature over the body by a self-signed identity the server never issued.
    OtherIdentity,
}
