namespace Latch.Protocols.Tests.Windows.Enrollment;

// The enrolment vectors copied beside the test assembly (see tests/testdata/vectors/windows-enrollment/SOURCES.md).
internal static class EnrollmentVectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "vectors", "windows-enrollment");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static string Text(string name) => File.ReadAllText(Path.Combine(Directory, name));

    public static IEnumerable<string> XmlNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.xml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
}
