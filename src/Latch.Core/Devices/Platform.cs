namespace Latch.Core.Devices;

/// <summary>The nine platform rows that SPEC §2–3 write their rules for.</summary>
public enum Platform
{
    MacOS,
    IOS,
    Android,
    AndroidForWork,
    Windows10Mobile,
    Windows10Desktop,
    WindowsPhone81,
    WindowsRT,
    Windows81,
}

public static class PlatformNames
{
    // Display names exactly as the SPEC's tables spell them; parsing accepts these and the enum names.
    private static readonly Dictionary<Platform, string> DisplayNames = new()
    {
        [Platform.MacOS] = "macOS",
        [Platform.IOS] = "iOS",
        [Platform.Android] = "Android",
        [Platform.AndroidForWork] = "Android for Work",
        [Platform.Windows10Mobile] = "Windows 10 Mobile",
        [Platform.Windows10Desktop] = "Windows 10 desktop",
        [Platform.WindowsPhone81] = "Windows Phone 8 / 8.1",
        [Platform.WindowsRT] = "Windows RT / RT 8.1",
        [Platform.Windows81] = "Windows 8.1",
    };

    private static readonly Dictionary<string, Platform> ByName = BuildLookup();

    public static string DisplayName(this Platform platform) => DisplayNames[platform];

    public static bool IsWindows(this Platform platform) => platform is Platform.Windows10Mobile
        or Platform.Windows10Desktop or Platform.WindowsPhone81 or Platform.WindowsRT or Platform.Windows81;

    public static bool TryParse(string? text, out Platform platform)
    {
        platform = default;
        return text is not null && ByName.TryGetValue(Normalize(text), out platform);
    }

    /// <exception cref="FormatException">The name is not one of the nine platforms.</exception>
    public static Platform Parse(string? text) => TryParse(text, out var platform)
        ? platform
        : throw new FormatException(
            $"Unknown platform '{text}'. Expected one of: {string.Join(", ", DisplayNames.Values)}.");

    private static Dictionary<string, Platform> BuildLookup()
    {
        var lookup = new Dictionary<string, Platform>();
        foreach (var (platform, display) in DisplayNames)
        {
            lookup[Normalize(display)] = platform;
            lookup[Normalize(platform.ToString())] = platform;
        }
        return lookup;
    }

    // Case, spaces and punctuation do not matter: "windows 8.1", "Windows81" and "WINDOWS-8.1" are one name.
    private static string Normalize(string text) =>
        new(text.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
