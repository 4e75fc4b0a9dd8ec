namespace Latch.Protocols.Windows;

/// <summary>Alert codes an Alert's Data carries (MS-MDM §2.2.7.2, from OMA-DM RepPro 1.2.1).</summary>
public static class SyncAlertCodes
{
    /// <summary>SERVER-INITIATED MGMT: the session was started by the server (after a push).</summary>
    public const string ServerInitiatedMgmt = "1200";

    /// <summary>CLIENT-INITIATED MGMT: the device started the session; the first command of its package 1.</summary>
    public const string ClientInitiatedMgmt = "1201";

    /// <summary>NEXT MESSAGE: asks for the next message of a package split across messages (no Final yet).</summary>
    public const string NextMessage = "1222";

    /// <summary>SESSION ABORT: the sender ends the session now.</summary>
    public const string SessionAbort = "1223";

    /// <summary>
    /// CLIENT EVENT: an event on the device. In package 1 Windows sends it with Meta Type
    /// com.microsoft/MDM/LoginStatus (Data user, others, none, ...) and, per MS-MDM §3.2.5.1.5, the session kind.
    /// </summary>
    public const string ClientEvent = "1224";

    /// <summary>NO END OF DATA: a chunked object ended without its last chunk.</summary>
    public const string NoEndOfData = "1225";

    /// <summary>
    /// GENERIC ALERT: a device alert with or without a node reference, its kind in Meta Type, e.g.
    /// com.microsoft:mdm.unenrollment.userrequest when the user removed the work account.
    /// </summary>
    public const string GenericAlert = "1226";

    /// <summary>Meta Type of the 1224 alert that reports who is logged in.</summary>
    public const string LoginStatusType = "com.microsoft/MDM/LoginStatus";

    /// <summary>Meta Type of the 1226 alert a device sends when the user unenrols it.</summary>
    public const string UnenrollmentUserRequestType = "com.microsoft:mdm.unenrollment.userrequest";
}
