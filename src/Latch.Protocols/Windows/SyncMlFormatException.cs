namespace Latch.Protocols.Windows;

/// <summary>
/// The one error for a body that is not a SyncML DM message we can read: malformed XML, a DTD, a missing
/// required element, an unknown command. Endpoints map it to 400 (never 401: a Windows client treats that
/// as an authentication failure).
/// </summary>
public sealed class SyncMlFormatException : FormatException
{
    public SyncMlFormatException()
    {
    }

    public SyncMlFormatException(string message)
        : base(message)
    {
    }

    public SyncMlFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
