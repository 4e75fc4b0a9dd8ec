using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Sessions;
using Latch.Protocols.Windows;
using Latch.Server.Windows.Enrollment;

namespace Latch.Server.Windows.Mdm;

/// <summary>What a device's SyncML message says: the session it starts, its reports on Latch's commands, its facts.</summary>
/// <param name="StartsSession">Alert 1201 (the device's own session) or 1200 (after a push): the message is package 1 (MS-MDM §2.2.7.2).</param>
/// <param name="Unenrolls">Generic Alert 1226 with <c>com.microsoft:mdm.unenrollment.userrequest</c>: the user removed the work account.</param>
/// <param name="Facts">DevInfo (Replace in package 1) and LoginStatus (Alert 1224); null when the message carries none.</param>
/// <param name="Reports">One report per Latch command the message finishes or puts off.</param>
/// <param name="UnknownRefs">CmdRefs of Statuses and Results that name nothing Latch sends.</param>
/// <param name="PushChannelUri">The WNS channel URI, when the message answers the server's Get of it.</param>
public sealed record WindowsMessage(bool StartsSession, bool Unenrolls, DeviceFacts? Facts, IReadOnlyList<DeviceReport> Reports,
    IReadOnlyList<string> UnknownRefs, string? PushChannelUri)
{
    public const string PushChannelCmdIdPrefix = "push-channel-";

    /// <summary>Longest channel URI kept (WNS's are under 300 characters); a longer or non-https one is ignored.</summary>
    public const int MaxChannelUriLength = 2048;

    // What a device says about itself is kept within what the device record holds; a longer value is cut, not refused.
    private static string? Clip(string? value) => value?.Trim() is { Length: > 0 } text ? text.Length <= 200 ? text : text[..200] : null;

    public static WindowsMessage Read(SyncMessage message)
    {
        var starts = false;
        var unenrolls = false;
        string? pushChannelUri = null;
        var facts = new DeviceFacts();
        var anyFact = false;
        var unknown = new List<string>();
        var byCommand = new Dictionary<Guid, Parts>();

        foreach (var command in message.Commands)
        {
            switch (command)
            {
                case SyncAlert { Data: "1201" or "1200" }:
                    starts = true;
                    break;
                case SyncAlert { Data: "1224" } login when login.Items.FirstOrDefault(i => i.Meta?.Type == "com.microsoft/MDM/LoginStatus") is { } item:
                    // MS-MDM §2.2.7.2: "user" the enrolling user, "others" someone else, "none" nobody signed in.
                    var signedIn = item.Data?.Trim().ToLowerInvariant() switch
                    {
                        "user" => SignedIn.EnrollingUser,
                        "others" => SignedIn.AnotherUser,
                        "none" => SignedIn.Nobody,
                        _ => (SignedIn?)null,
                    };
                    if (signedIn is not null) (facts, anyFact) = (facts with { SignedIn = signedIn }, true);
                    break;
                case SyncAlert { Data: "1226" } generic when generic.Items.Any(i => i.Meta?.Type?.StartsWith("com.microsoft:mdm.unenrollment", StringComparison.Ordinal) == true):
                    unenrolls = true;
                    break;
                case SyncReplace replace:
                    foreach (var item in replace.Items)
                    {
                        var value = Clip(item.Data);
                        if (string.IsNullOrEmpty(value)) continue;
                        switch (item.Source)
                        {
                            case "./DevInfo/Man": (facts, anyFact) = (facts with { Manufacturer = value }, true); break;
                            case "./DevInfo/Mod": (facts, anyFact) = (facts with { Model = value }, true); break;
                        }
                    }
                    break;
                case SyncStatus status:
                    if (status.CmdRef == "0" || status.Cmd == "SyncHdr") break;
                    if (status.CmdRef.StartsWith(PushChannelCmdIdPrefix, StringComparison.Ordinal)) break;
                    if (CommandRef.TryParse(status.CmdRef, out var statusOf, out var statusPart)) PartsOf(statusOf).Statuses.Add((statusPart, status));
                    else unknown.Add(status.CmdRef);
                    break;
                case SyncResults results:
                    if (results.CmdRef.StartsWith(PushChannelCmdIdPrefix, StringComparison.Ordinal))
                        pushChannelUri = results.Items.Count > 0 && results.Items[0].Data?.Trim() is { Length: > 0 and <= MaxChannelUriLength } uri
                            && Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme == Uri.UriSchemeHttps ? uri : null;
                    else if (CommandRef.TryParse(results.CmdRef, out var resultsOf, out var resultsPart)) PartsOf(resultsOf).Results.Add((resultsPart, results));
                    else unknown.Add(results.CmdRef);
                    break;
            }
        }

        var reports = byCommand.Select(entry => entry.Value.ToReport(entry.Key)).OfType<DeviceReport>().ToList();
        return new WindowsMessage(starts, unenrolls, anyFact ? facts : null, reports, unknown, pushChannelUri);

        Parts PartsOf(Guid id) => byCommand.TryGetValue(id, out var parts) ? parts : byCommand[id] = new Parts();
    }

    // Everything one message says about one Latch command: its Statuses and Results, by part of a Sequence.
    private sealed class Parts
    {
        public List<(string? Part, SyncStatus Status)> Statuses { get; } = [];
        public List<(string? Part, SyncResults Results)> Results { get; } = [];

        public DeviceReport? ToReport(Guid commandId)
        {
            // 417 Retry later, 214 Operation cancelled: the device did not run it now; it is offered again next session.
            if (Statuses.Any(s => s.Status.Code is 417 or 214)) return new DeviceReport(commandId, CommandReport.NotNow);
            var reset = Statuses.Any(s => s.Part is not null) || Results.Any(r => r.Part is not null);
            return reset ? ResetReport(commandId) : SingleReport(commandId);
        }

        private DeviceReport? SingleReport(Guid commandId)
        {
            if (Statuses.FirstOrDefault(s => s.Part is null).Status is not { } status) return null; // a Results without its Status: wait for it
            var code = status.Code;
            return (status.Cmd, code) switch
            {
                ("Exec", 200) => new DeviceReport(commandId, CommandReport.Acknowledged),
                ("Exec", 405) => new DeviceReport(commandId, CommandReport.Failed(
                    "The device has no PIN set, so it ignored the lock (RemoteLock Status 405). Ask the user to set a PIN, then lock it.")),
                ("Exec", _) => new DeviceReport(commandId, CommandReport.Failed($"The device could not lock (RemoteLock Status {status.Data}{Why(status)}).")),
                ("Get", 200) => new DeviceReport(commandId, CommandReport.Acknowledged) { Facts = FactsOf(Results.Select(r => r.Results)) },
                ("Sequence", not 200) => new DeviceReport(commandId, CommandReport.Failed($"The device refused the command sequence (Status {status.Data}{Why(status)}).")),
                ("Sequence", _) => null, // its parts say how it went
                _ => new DeviceReport(commandId, CommandReport.Failed($"The device answered {status.Cmd} with Status {status.Data}{Why(status)}.")),
            };
        }

        private DeviceReport? ResetReport(Guid commandId)
        {
            var reset = Statuses.FirstOrDefault(s => s.Part == CommandRef.ResetPart).Status;
            var get = Statuses.FirstOrDefault(s => s.Part == CommandRef.NewPinPart).Status;
            var sequence = Statuses.FirstOrDefault(s => s.Part is null).Status;
            if (reset is { Code: not 200 })
                return new DeviceReport(commandId, CommandReport.Failed($"The device could not reset its PIN (LockAndResetPIN Status {reset.Data}{Why(reset)})."));
            if (sequence is { Code: not 200 } && reset is null)
                return new DeviceReport(commandId, CommandReport.Failed($"The device refused the PIN reset (Sequence Status {sequence.Data}{Why(sequence)})."));
            var pin = Results.Where(r => r.Part == CommandRef.NewPinPart).SelectMany(r => r.Results.Items)
                .FirstOrDefault(i => i.Source is null || i.Source.EndsWith("/NewPINValue", StringComparison.Ordinal))?.Data;
            if (pin is { Length: > 64 })
                return new DeviceReport(commandId, CommandReport.Failed("The device returned something that is not a PIN (longer than 64 characters) as NewPINValue."));
            if (!string.IsNullOrEmpty(pin)) return new DeviceReport(commandId, CommandReport.Acknowledged) { Secret = pin };
            if (reset is null && get is null) return null;
            return new DeviceReport(commandId, CommandReport.Failed(get is { Code: not 200 }
                ? $"The device reset its PIN but did not return the new one (NewPINValue Status {get.Data}{Why(get)}); ask the user to set a PIN."
                : "The device reset its PIN but did not return the new one (no NewPINValue in its Results); ask the user to set a PIN."));
        }

        private static string Why(SyncStatus status) => status.OriginalError is { } error ? $", error {error}" : "";
    }

    // DevDetail / DevInfo answers (the query WindowsCommandEncoder sends) as the device's facts.
    private static DeviceFacts? FactsOf(IEnumerable<SyncResults> results)
    {
        var values = results.SelectMany(r => r.Items).Where(i => i.Source is not null && !string.IsNullOrWhiteSpace(i.Data))
            .GroupBy(i => i.Source!).ToDictionary(g => g.Key, g => Clip(g.First().Data)!, StringComparer.Ordinal);
        if (values.Count == 0) return null;
        var version = values.TryGetValue("./DevDetail/SwV", out var swv) && OsVersion.TryParse(swv, out var parsed) ? parsed : (OsVersion?)null;
        values.TryGetValue("./DevDetail/Ext/Microsoft/OSPlatform", out var osPlatform);
        return new DeviceFacts
        {
            Name = values.GetValueOrDefault("./DevDetail/Ext/Microsoft/DeviceName"),
            Manufacturer = values.GetValueOrDefault("./DevInfo/Man"),
            Model = values.GetValueOrDefault("./DevInfo/Mod"),
            OsVersion = version,
            Platform = version is { } v ? WindowsPlatforms.FromReport(v, osPlatform) : null,
        };
    }
}
