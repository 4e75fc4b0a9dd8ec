using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Latch.Protocols.Apple;
using Latch.Server.Devices;

namespace Latch.Server.Apple.Enrollment;

/// <summary>What one enrolment profile is made of.</summary>
/// <param name="ServerUrl">The MDM server URL (<c>ServerURL</c>): where the device fetches commands.</param>
/// <param name="CheckInUrl">The check-in URL (<c>CheckInURL</c>): Authenticate, TokenUpdate, CheckOut.</param>
/// <param name="Topic">The APNs topic, the push certificate's UID (<c>com.apple.mgmt.…</c>).</param>
/// <param name="Identity">The device identity the profile installs; requests are signed with it.</param>
/// <param name="CaCertificate">Latch's enrolment CA, installed as a trusted root so the profile's signature verifies.</param>
/// <param name="EnrollmentId">The enrolment record this profile belongs to; part of every PayloadIdentifier.</param>
/// <param name="Organization">Shown to the user on the device.</param>
public sealed record EnrollmentProfileInput(
    Uri ServerUrl,
    Uri CheckInUrl,
    string Topic,
    DeviceIdentity Identity,
    X509Certificate2 CaCertificate,
    Guid EnrollmentId,
    string Organization);

/// <summary>
/// The <c>.mobileconfig</c> that enrols an Apple device: a configuration profile with the CA as a root certificate, the
/// device identity as PKCS#12, and the MDM payload pointing at Latch. Sign it with
/// <see cref="DeviceCertificateAuthority.Sign"/> and serve it as <see cref="ContentType"/>.
/// Keys: https://developer.apple.com/documentation/devicemanagement/toplevel (profile),
/// https://developer.apple.com/documentation/devicemanagement/mdm, .../certificateroot, .../certificatepkcs12.
/// </summary>
public static class AppleEnrollmentProfile
{
    public const string ContentType = "application/x-apple-aspen-config";

    /// <summary>
    /// The MDM payload's AccessRights, a bit mask: only what Latch's actions and inventory use.
    /// 4 = device lock and passcode removal (DeviceLock, ClearPasscode); 16 = query device information
    /// (DeviceInformation); 32 = query network information (phone/SIM numbers, MAC addresses); 1024 = security-related
    /// queries (SecurityInfo). Not granted: 1/2 profiles, 8 erase, 64/128 provisioning profiles, 256 applications,
    /// 512 restrictions, 2048 settings, 4096 app management. A device shows the user what is granted.
    /// </summary>
    public const long AccessRights = 4 | 16 | 32 | 1024;

    private const string IdentifierPrefix = "latch.enrollment";

    public static byte[] Build(EnrollmentProfileInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.ServerUrl);
        ArgumentNullException.ThrowIfNull(input.CheckInUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(input.Topic);
        ArgumentNullException.ThrowIfNull(input.Identity);
        ArgumentNullException.ThrowIfNull(input.CaCertificate);
        ArgumentException.ThrowIfNullOrWhiteSpace(input.Organization);
        if (!input.ServerUrl.IsAbsoluteUri || !input.CheckInUrl.IsAbsoluteUri)
            throw new ArgumentException("The server and check-in URLs must be absolute.", nameof(input));

        var identifier = $"{IdentifierPrefix}.{input.EnrollmentId:D}";
        var identityUuid = NewUuid();
        // Older Apple OS versions read only PKCS#12 protected with 3DES and a SHA-1 MAC; the password is per profile,
        // and the profile itself is only ever handed to the user it was issued for.
        var password = RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 24);
        var pkcs12 = input.Identity.Certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pkcs12TripleDesSha1, password);

        var root = Payload("com.apple.security.root", $"{identifier}.ca", NewUuid(), "Latch Device Enrollment CA", input.Organization,
            ("PayloadCertificateFileName", new PlistString("latch-enrollment-ca.cer")),
            ("PayloadContent", new PlistData(input.CaCertificate.RawData)));
        var identity = Payload("com.apple.security.pkcs12", $"{identifier}.identity", identityUuid, "Device identity", input.Organization,
            ("PayloadCertificateFileName", new PlistString("device-identity.p12")),
            ("PayloadContent", new PlistData(pkcs12)),
            ("Password", new PlistString(password)));
        var mdm = Payload("com.apple.mdm", $"{identifier}.mdm", NewUuid(), "Device management", input.Organization,
            ("IdentityCertificateUUID", new PlistString(identityUuid)),
            ("Topic", new PlistString(input.Topic)),
            ("ServerURL", new PlistString(input.ServerUrl.AbsoluteUri)),
            ("CheckInURL", new PlistString(input.CheckInUrl.AbsoluteUri)),
            ("SignMessage", PlistBoolean.True),
            ("CheckOutWhenRemoved", PlistBoolean.True),
            ("AccessRights", new PlistInteger(AccessRights)));

        var profile = Dict(
            ("PayloadType", new PlistString("Configuration")),
            ("PayloadVersion", new PlistInteger(1)),
            ("PayloadIdentifier", new PlistString(identifier)),
            ("PayloadUUID", new PlistString(NewUuid())),
            ("PayloadDisplayName", new PlistString("Latch device management")),
            ("PayloadOrganization", new PlistString(input.Organization)),
            ("PayloadDescription", new PlistString(
                $"Lets {input.Organization} lock this device and remove its passcode remotely, and read its device, network " +
                "and security information. It cannot erase the device, install or remove apps and profiles, or change settings.")),
            ("PayloadScope", new PlistString("System")),
            ("PayloadContent", new PlistArray([root, identity, mdm])));
        return Plist.Write(profile);
    }

    private static PlistDict Payload(
        string type, string identifier, string uuid, string displayName, string organization, params (string Key, PlistValue Value)[] keys) =>
        Dict([
            ("PayloadType", new PlistString(type)),
            ("PayloadVersion", new PlistInteger(1)),
            ("PayloadIdentifier", new PlistString(identifier)),
            ("PayloadUUID", new PlistString(uuid)),
            ("PayloadDisplayName", new PlistString(displayName)),
            ("PayloadOrganization", new PlistString(organization)),
            .. keys,
        ]);

    private static PlistDict Dict(params (string Key, PlistValue Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

    // Apple's own tools write upper-case UUIDs.
    private static string NewUuid() => Guid.NewGuid().ToString("D").ToUpperInvariant();
}
