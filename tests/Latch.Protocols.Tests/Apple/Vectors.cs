namespace Latch.Protocols.Tests.Apple;

// The Apple vectors copied beside the test assembly (see ../shared/vectors/apple/SOURCES.md).
internal static class Vectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "vectors", "apple");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static IEnumerable<string> PlistNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.plist").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
}
