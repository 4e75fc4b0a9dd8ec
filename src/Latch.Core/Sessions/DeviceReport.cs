using System.Text;
using Latch.Core.Commands;
using Latch.Core.Devices;

namespace Latch.Core.Sessions;

/// <summary>
/// A device's report on one of its commands, as its channel decoded it: what happened (<see cref="Report"/>), the facts
/// it answered with, and a secret it made and returned once (Windows returns the new PIN, <c>NewPINValue</c>, only in
/// its answer). The secret is kept encrypted on the action, like Latch's own temporary passcodes, and never printed.
/// </summary>
public sealed record DeviceReport(Guid CommandId, CommandReport Report)
{
    public DeviceFacts? Facts { get; init; }

    public string? Secret { get; init; }

    // A record prints every property; this one must never print the secret (a logged report would leak it).
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"CommandId = {CommandId}, Report = {Report}, Facts = {Facts}, Secret = {(Secret is null ? "none" : "(withheld)")}");
        return true;
    }
}
