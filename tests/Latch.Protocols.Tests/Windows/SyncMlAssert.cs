using Latch.Protocols.Windows;

namespace Latch.Protocols.Tests.Windows;

// Structural equality for decoded messages: records compare their lists by reference, so each list is compared
// element by element here and the first difference is reported with its path (Commands[2].Items[0]...).
internal static class SyncMlAssert
{
    private static readonly SyncItem[] NoItems = [];
    private static readonly SyncCommand[] NoCommands = [];
    private static readonly string[] NoStrings = [];

    public static void Equal(SyncMessage expected, SyncMessage actual)
    {
        var difference = Difference(expected, actual);
        if (difference is not null)
        {
            Assert.Fail($"The messages differ at {difference}");
        }
    }

    public static string? Difference(SyncMessage expected, SyncMessage actual)
    {
        if (expected.Header != actual.Header)
        {
            return $"Header: {expected.Header} vs {actual.Header}";
        }

        if (expected.Final != actual.Final)
        {
            return $"Final: {expected.Final} vs {actual.Final}";
        }

        return Commands("Commands", expected.Commands, actual.Commands);
    }

    private static string? Commands(string path, IReadOnlyList<SyncCommand> expected, IReadOnlyList<SyncCommand> actual) =>
        List(path, expected, actual, Command);

    private static string? Command(string path, SyncCommand expected, SyncCommand actual)
    {
        if (expected.GetType() != actual.GetType())
        {
            return $"{path}: {expected.Name} vs {actual.Name}";
        }

        // The record's own equality with its lists blanked out, then the lists one by one.
        var (e, a) = (Blank(expected), Blank(actual));
        if (e != a)
        {
            return $"{path}: {e} vs {a}";
        }

        return (expected, actual) switch
        {
            (SyncStatus x, SyncStatus y) =>
                List($"{path}.TargetRefs", x.TargetRefs, y.TargetRefs, Leaf)
                ?? List($"{path}.SourceRefs", x.SourceRefs, y.SourceRefs, Leaf)
                ?? List($"{path}.Items", x.Items, y.Items, Leaf),
            (SyncResults x, SyncResults y) =>
                List($"{path}.TargetRefs", x.TargetRefs, y.TargetRefs, Leaf)
                ?? List($"{path}.SourceRefs", x.SourceRefs, y.SourceRefs, Leaf)
                ?? List($"{path}.Items", x.Items, y.Items, Leaf),
            (SyncItemCommand x, SyncItemCommand y) => List($"{path}.Items", x.Items, y.Items, Leaf),
            (SyncAlert x, SyncAlert y) => List($"{path}.Items", x.Items, y.Items, Leaf),
            (SyncAtomic x, SyncAtomic y) => Commands($"{path}.Commands", x.Commands, y.Commands),
            (SyncSequence x, SyncSequence y) => Commands($"{path}.Commands", x.Commands, y.Commands),
            _ => null,
        };
    }

    private static SyncCommand Blank(SyncCommand command) => command switch
    {
        SyncStatus s => s with { TargetRefs = NoStrings, SourceRefs = NoStrings, Items = NoItems },
        SyncResults r => r with { TargetRefs = NoStrings, SourceRefs = NoStrings, Items = NoItems },
        SyncItemCommand i => i with { Items = NoItems },
        SyncAlert a => a with { Items = NoItems },
        SyncAtomic a => a with { Commands = NoCommands },
        SyncSequence s => s with { Commands = NoCommands },
        _ => command,
    };

    private static string? Leaf<T>(string path, T expected, T actual) =>
        EqualityComparer<T>.Default.Equals(expected, actual) ? null : $"{path}: {expected} vs {actual}";

    private static string? List<T>(string path, IReadOnlyList<T> expected, IReadOnlyList<T> actual, Func<string, T, T, string?> compare)
    {
        if (expected.Count != actual.Count)
        {
            return $"{path}: {expected.Count} elements vs {actual.Count}";
        }

        for (var i = 0; i < expected.Count; i++)
        {
            var difference = compare($"{path}[{i}]", expected[i], actual[i]);
            if (difference is not null)
            {
                return difference;
            }
        }

        return null;
    }
}
