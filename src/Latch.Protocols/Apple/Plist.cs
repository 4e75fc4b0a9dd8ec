using System.Runtime.InteropServices;

namespace Latch.Protocols.Apple;

// XML property lists: https://developer.apple.com/library/archive/documentation/Cocoa/Conceptual/PropertyLists/
public static class Plist
{
    // Deeper documents are refused; real MDM messages nest a handful of levels.
    public const int MaxDepth = 64;

    public static PlistValue Read(byte[] utf8)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        return PlistReader.Read(utf8, 0, utf8.Length);
    }

    public static PlistValue Read(ReadOnlyMemory<byte> utf8) =>
        MemoryMarshal.TryGetArray(utf8, out var segment)
            ? PlistReader.Read(segment.Array!, segment.Offset, segment.Count)
            : Read(utf8.Span);

    public static PlistValue Read(ReadOnlySpan<byte> utf8)
    {
        var copy = utf8.ToArray();
        return PlistReader.Read(copy, 0, copy.Length);
    }

    // Reads a document whose root must be a dict, as every MDM message is.
    public static PlistDict ReadDict(ReadOnlyMemory<byte> utf8) =>
        Read(utf8) as PlistDict ?? throw new PlistFormatException("The plist root value must be a <dict>.");

    public static byte[] Write(PlistValue value) => PlistWriter.Write(value);
}
