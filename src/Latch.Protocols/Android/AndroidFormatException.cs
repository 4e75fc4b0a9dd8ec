namespace Latch.Protocols.Android;

/// <summary>
/// The one error for an agent body Latch cannot take: not JSON, too large, a required field missing, or a field the
/// protocol does not define. Endpoints answer it 400 with <see cref="AndroidErrorCodes.InvalidArgument"/>.
/// </summary>
public sealed class AndroidFormatException : FormatException
{
    public AndroidFormatException()
    {
    }

    public AndroidFormatException(string message)
        : base(message)
    {
    }

    public AndroidFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
