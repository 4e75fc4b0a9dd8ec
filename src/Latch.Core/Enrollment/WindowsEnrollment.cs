namespace Latch.Core.Enrollment;

/// <summary>
/// One Windows device enrolled through MS-MDE2, and what the management sessions need to know about it. The device
/// made its own key and sent a PKCS#10; Latch's device CA signed it, and every OMA-DM session is authenticated by that
/// certificate (found here by its SHA-256 thumbprint) and bound to this enrolment's <see cref="DeviceIdentifier"/>.
/// </summary>
public sealed class WindowsEnrollment : IEnrollmentRecord
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The user whose enrolment code enrolled the device: its owner and enrolling user.</summary>
    public Guid UserId { get; init; }

    public Guid? DeviceId { get; set; }

    /// <summary>The enrolment code that authenticated the enrolment (single use).</summary>
    public Guid EnrollmentCodeId { get; init; }

    /// <summary>SHA-256 of the issued certificate's DER bytes, upper-case hex.</summary>
    public required string CertificateThumbprint { get; set; }

    public DateTimeOffset CertificateNotAfter { get; set; }

    /// <summary>
    /// The certificate this one renewed (MS-MDE2 §3.4 renewal): still accepted until the device has used the new one,
    /// so a renewal whose answer was lost does not strand the device.
    /// </summary>
    public string? PreviousCertificateThumbprint { get; set; }

    /// <summary>
    /// The device's id as its MS-MDE2 request named it (<c>DeviceID</c> context item), which is also the SyncML
    /// <c>Source/LocURI</c> of every session (MS-MDM §2.2.2). A session from this enrolment must name the same one.
    /// </summary>
    public required string DeviceIdentifier { get; init; }

    /// <summary>The hardware id (<c>HWDevID</c>): the same hardware enrolling again is the same device.</summary>
    public string? HardwareId { get; init; }

    /// <summary>The <c>DeviceType</c> context item ("CIMClient_Windows", "WindowsPhone", ...).</summary>
    public string? DeviceType { get; init; }

    /// <summary>The <c>OSEdition</c> context item: the Windows SKU number (e.g. 104 = Windows 10 Mobile).</summary>
    public string? OsEdition { get; init; }

    /// <summary>The <c>EnrollmentType</c> context item: "Full" for MDM enrolment, "Device" for an Azure AD join.</summary>
    public string? EnrollmentType { get; init; }

    /// <summary>The MS-MDE2 protocol version the device enrolled with (Discovery's RequestVersion).</summary>
    public string? ProtocolVersion { get; init; }

    public WindowsEnrollmentState State { get; set; } = WindowsEnrollmentState.Enrolled;
    public DateTimeOffset EnrolledAt { get; init; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The device's WNS channel URI (DMClient Push/ChannelURI), read in its sessions. Not a secret, but never logged whole.</summary>
    public string? PushChannelUri { get; set; }

    /// <summary>WNS said the channel is gone (404/410); no push until the device reports a new channel URI.</summary>
    public DateTimeOffset? PushChannelDeadAt { get; set; }
}

public enum WindowsEnrollmentState
{
    Enrolled,

    /// <summary>The device unenrolled (Generic Alert 1226) or its user removed the work account.</summary>
    Unenrolled,

    /// <summary>The same hardware enrolled again; this enrolment no longer counts.</summary>
    Superseded,
}
