namespace Latch.Protocols.Apple;

// The closed set of XML property list values (Apple's PropertyList-1.0 DTD).
// Equality is by value, so a tree read back from Plist.Write equals the tree written.
public abstract record PlistValue
{
    private protected PlistValue()
    {
    }
}

public sealed record PlistString(string Value) : PlistValue;

public sealed record PlistInteger(long Value) : PlistValue;

public sealed record PlistReal(double Value) : PlistValue;

public sealed record PlistBoolean(bool Value) : PlistValue
{
    public static PlistBoolean True { get; } = new(true);
    public static PlistBoolean False { get; } = new(false);
}

// Always UTC; the wire format has whole seconds only.
public sealed record PlistDate : PlistValue
{
    public PlistDate(DateTimeOffset value) => Value = value.ToUniversalTime();

    public DateTimeOffset Value { get; }
}

public sealed record PlistData(ReadOnlyMemory<byte> Value) : PlistValue
{
    public bool Equals(PlistData? other) => other is not null && Value.Span.SequenceEqual(other.Value.Span);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Value.Span);
        return hash.ToHashCode();
    }
}

public sealed record PlistArray : PlistValue
{
    public PlistArray(IEnumerable<PlistValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = [.. items];
    }

    public IReadOnlyList<PlistValue> Items { get; }

    public bool Equals(PlistArray? other) => other is not null && Items.SequenceEqual(other.Items);

    public override int GetHashCode() => Items.Count;
}

// Keys keep their document order; a key appears at most once.
public sealed record PlistDict : PlistValue
{
    private readonly Dictionary<string, PlistValue> _byKey;

    public PlistDict(IEnumerable<KeyValuePair<string, PlistValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = [.. entries];
        _byKey = new Dictionary<string, PlistValue>(Entries.Count, StringComparer.Ordinal);
        foreach (var (key, value) in Entries)
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!_byKey.TryAdd(key, value))
            {
                throw new ArgumentException($"Duplicate key '{key}'.", nameof(entries));
            }
        }
    }

    public static PlistDict Empty { get; } = new([]);

    public IReadOnlyList<KeyValuePair<string, PlistValue>> Entries { get; }

    public int Count => Entries.Count;

    public PlistValue this[string key] => _byKey[key];

    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out PlistValue value) =>
        _byKey.TryGetValue(key, out value);

    // Order is part of the document but not of the value: Apple's plists are unordered maps.
    public bool Equals(PlistDict? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        foreach (var (key, value) in Entries)
        {
            if (!other._byKey.TryGetValue(key, out var theirs) || !value.Equals(theirs))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode() => Count;
}
