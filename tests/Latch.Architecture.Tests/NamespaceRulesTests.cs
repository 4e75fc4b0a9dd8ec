using System.Reflection;

namespace Latch.Architecture.Tests;

/// <summary>
/// The seams of STYLE.md at namespace level, read from the compiled code: a channel's wire format stays in that channel's
/// folders, and the server reaches the database's device path only through Core's device session.
/// </summary>
public sealed class NamespaceRulesTests
{
    // Every channel the codecs know (Latch.Protocols.Apple, and each one added later), in each layer above them.
    public static TheoryData<string, string> Channels()
    {
        var data = new TheoryData<string, string>();
        var channels = Assembly.Load("Latch.Protocols").GetTypes().Select(t => t.Namespace?.Split('.'))
            .Where(parts => parts is { Length: >= 3 }).Select(parts => parts![2]).Distinct().Order();
        foreach (var channel in channels)
        foreach (var assembly in new[] { "Latch.Core", "Latch.Server" })
            data.Add(assembly, channel);
        return data;
    }

    [Theory]
    [MemberData(nameof(Channels))]
    public void OnlyAChannelsOwnFolders_UseItsProtocolNamespace(string assembly, string channel)
    {
        var protocol = $"Latch.Protocols.{channel}";
        var offenders = TypeReferences.Of(Assembly.Load(assembly))
            .Where(r => r.Used.Namespace == protocol && !InChannelFolder(r.User, channel))
            .Select(r => $"{r.User.FullName} uses {r.Used.FullName}").Distinct().ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    private static bool InChannelFolder(Type type, string channel) =>
        (type.Namespace ?? "").Split('.').Contains(channel, StringComparer.Ordinal);

    // The single writer, the prepared statements and the queue's SQL are Core's: a device endpoint calls DeviceSessions.
    private static readonly string[] CoreInternals =
    [
        "Latch.Core.Data.WriteBatcher", "Latch.Core.Data.Prepared.PreparedStatement", "Latch.Core.Data.Prepared.EntityColumns`1",
        "Latch.Core.Commands.QueueStatements", "Latch.Core.Actions.ActionMoves", "Latch.Core.Commands.QuietDevices",
    ];

    [Fact]
    public void NoServerType_UsesTheWriterPreparedStatementsOrQueueSql()
    {
        var offenders = TypeReferences.Of(Assembly.Load("Latch.Server"))
            .Where(r => CoreInternals.Contains(r.Used.FullName))
            .Select(r => $"{r.User.FullName} uses {r.Used.FullName}").Distinct().ToList();
        Assert.True(offenders.Count == 0, string.Join(Environment.NewLine, offenders));
    }

    // The scan must see what it looks for, or the rules above would pass on nothing.
    [Fact]
    public void TheScan_FindsUsesInSignaturesAndInMethodBodies()
    {
        var core = TypeReferences.Of(Assembly.Load("Latch.Core")).ToList();
        Assert.Contains(core, r => r.User.Name == "DeviceSessions" && r.Used.FullName == "Latch.Core.Data.WriteBatcher");
        var server = TypeReferences.Of(Assembly.Load("Latch.Server")).ToList();
        Assert.Contains(server, r => r.User.Namespace == "Latch.Server.Apple.Mdm" && r.Used.FullName == "Latch.Core.Sessions.DeviceSessions");
        Assert.Contains(server, r => r.User.Namespace == "Latch.Server.Apple.Mdm" && r.Used.FullName == "Latch.Protocols.Apple.ClearPasscode");
    }
}
