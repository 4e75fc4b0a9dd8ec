using System.Globalization;

namespace Latch.Core.Devices;

/// <summary>
/// A dotted OS version ("6.0.1", "17.4", "10.0.15063.0") compared component by component, with missing
/// components taken as zero, so "7" == "7.0" and "6.0.1" &lt; "7.0". On Windows the third component is the build.
/// </summary>
public readonly struct OsVersion : IComparable<OsVersion>, IEquatable<OsVersion>
{
    private const int MaxComponents = 4;
    private readonly int[]? _components;

    private OsVersion(int[] components) => _components = components;

    public int Major => Component(0);
    public int Minor => Component(1);

    /// <summary>The third component: the OS build on Windows (10.0.<b>15063</b>).</summary>
    public int Build => Component(2);

    private int Component(int index) => _components is { } c && index < c.Length ? c[index] : 0;

    public static OsVersion Of(params int[] components) =>
        components.Length is > 0 and <= MaxComponents && components.All(c => c >= 0)
            ? new OsVersion((int[])components.Clone())
            : throw new ArgumentException("A version has one to four non-negative components.", nameof(components));

    public static bool TryParse(string? text, out OsVersion version)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('.');
        if (parts.Length > MaxComponents) return false;
        var components = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out components[i]))
                return false;
        }
        version = new OsVersion(components);
        return true;
    }

    /// <exception cref="FormatException">Not one to four dot-separated whole numbers.</exception>
    public static OsVersion Parse(string? text) => TryParse(text, out var version)
        ? version
        : throw new FormatException(
            $"Unparsable OS version '{text}'. Expected one to four dot-separated numbers, such as 6.0.1 or 10.0.15063.");

    public int CompareTo(OsVersion other)
    {
        for (var i = 0; i < MaxComponents; i++)
        {
            var order = Component(i).CompareTo(other.Component(i));
            if (order != 0) return order;
        }
        return 0;
    }

    public bool Equals(OsVersion other) => CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is OsVersion other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Component(0), Component(1), Component(2), Component(3));
    public override string ToString() => _components is null ? "0" : string.Join('.', _components);

    public static bool operator ==(OsVersion left, OsVersion right) => left.Equals(right);
    public static bool operator !=(OsVersion left, OsVersion right) => !left.Equals(right);
    public static bool operator <(OsVersion left, OsVersion right) => left.CompareTo(right) < 0;
    public static bool operator >(OsVersion left, OsVersion right) => left.CompareTo(right) > 0;
    public static bool operator <=(OsVersion left, OsVersion right) => left.CompareTo(right) <= 0;
    public static bool operator >=(OsVersion left, OsVersion right) => left.CompareTo(right) >= 0;
}
