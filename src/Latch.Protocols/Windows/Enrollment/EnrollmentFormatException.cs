namespace Latch.Protocols.Windows.Enrollment;

/// <summary>
/// The one error for an enrolment message (MS-MDE2 discovery, MS-XCEP policy, MS-WSTEP enrolment, a fault, or a
/// wap-provisioningdoc) that is not well-formed or lacks what the protocol requires. The server answers it with an
/// <c>s:MessageFormat</c> fault; the simulator treats it as a broken server.
/// </summary>
public sealed class EnrollmentFormatException : FormatException
{
    public EnrollmentFormatException()
    {
    }

    public EnrollmentFormatException(string message)
        : base(message)
    {
    }

    public EnrollmentFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
