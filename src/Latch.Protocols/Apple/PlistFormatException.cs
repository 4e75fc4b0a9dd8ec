namespace Latch.Protocols.Apple;

// The one error for anything a device or client sent that is not a valid plist or message.
// Endpoints map it to 400 (never 401: that can make a device unenrol).
public sealed class PlistFormatException : FormatException
{
    public PlistFormatException()
    {
    }

    public PlistFormatException(string message)
        : base(message)
    {
    }

    public PlistFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PlistFormatException(string message, int lineNumber, int linePosition, Exception? innerException = null)
        : base(lineNumber > 0 ? $"{message} (line {lineNumber}, position {linePosition})" : message, innerException)
    {
        LineNumber = lineNumber;
        LinePosition = linePosition;
    }

    // Zero when the error is not tied to a place in the document (e.g. a missing message key).
    public int LineNumber { get; }

    public int LinePosition { get; }
}
