namespace Latch.Protocols.Apple;

// Typed access to message keys; every failure is a PlistFormatException naming the key. Public: the server and
// the simulated devices read command-specific keys (QueryResponses, SecurityInfo) the same way.
public static class PlistFields
{
    public static string RequiredString(this PlistDict dict, string key) =>
        dict.OptionalString(key) ?? throw Missing(key, "<string>");

    public static string? OptionalString(this PlistDict dict, string key) =>
        dict.Optional<PlistString>(key, "<string>")?.Value;

    public static ReadOnlyMemory<byte> RequiredData(this PlistDict dict, string key) =>
        dict.Optional<PlistData>(key, "<data>")?.Value ?? throw Missing(key, "<data>");

    public static ReadOnlyMemory<byte>? OptionalData(this PlistDict dict, string key) =>
        dict.Optional<PlistData>(key, "<data>")?.Value;

    public static long RequiredInteger(this PlistDict dict, string key) =>
        dict.Optional<PlistInteger>(key, "<integer>")?.Value ?? throw Missing(key, "<integer>");

    public static bool? OptionalBoolean(this PlistDict dict, string key) =>
        dict.Optional<PlistBoolean>(key, "<true/> or <false/>")?.Value;

    public static PlistDict RequiredDict(this PlistDict dict, string key) =>
        dict.Optional<PlistDict>(key, "<dict>") ?? throw Missing(key, "<dict>");

    public static PlistArray? OptionalArray(this PlistDict dict, string key) =>
        dict.Optional<PlistArray>(key, "<array>");

    public static T? Optional<T>(this PlistDict dict, string key, string typeName)
        where T : PlistValue
    {
        if (!dict.TryGetValue(key, out var value))
        {
            return null;
        }

        return value as T ?? throw new PlistFormatException($"Key '{key}' must be a {typeName}.");
    }

    public static PlistFormatException Missing(string key, string typeName) =>
        new($"Required key '{key}' ({typeName}) is missing.");
}
