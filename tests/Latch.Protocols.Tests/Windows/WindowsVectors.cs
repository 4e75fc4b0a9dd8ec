namespace Latch.Protocols.Tests.Windows;

// The Windows vectors copied beside the test assembly (tests/testdata/vectors/windows/SOURCES.md).
internal static class WindowsVectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "vectors", "windows");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    // 01–10 are SyncML; 11 and 12 are Exchange ActiveSync Provision bodies.
    public static IEnumerable<string> SyncMlNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.xml")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !name.Contains("-eas-", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
}
