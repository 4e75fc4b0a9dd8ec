using System.Net;

namespace Latch.Devices.Apple;

// The profile is one an enrolling device would refuse: unsigned, altered, or missing what MDM needs.
public sealed class AppleProfileException : Exception
{
    public AppleProfileException()
    {
    }

    public AppleProfileException(string message)
        : base(message)
    {
    }

    public AppleProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

// The profile could not be downloaded; StatusCode is null when the server was not reached at all.
public sealed class AppleProfileDownloadException : Exception
{
    public AppleProfileDownloadException()
    {
    }

    public AppleProfileDownloadException(string message)
        : base(message)
    {
    }

    public AppleProfileDownloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AppleProfileDownloadException(HttpStatusCode? statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public HttpStatusCode? StatusCode { get; }
}

// A check-in (Authenticate, TokenUpdate, CheckOut) was refused or did not reach the server.
public sealed class AppleMdmRequestException : Exception
{
    public AppleMdmRequestException()
    {
    }

    public AppleMdmRequestException(string message)
        : base(message)
    {
    }

    public AppleMdmRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AppleMdmRequestException(AppleHttpError error, Exception? innerException = null)
        : base(error?.ToString(), innerException)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    public AppleHttpError? Error { get; }
}
