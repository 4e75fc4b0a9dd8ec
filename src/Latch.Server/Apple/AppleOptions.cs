using System.ComponentModel.DataAnnotations;
using Latch.Server.Apple.Enrollment;
using Latch.Server.Devices;

namespace Latch.Server.Apple;

/// <summary>Settings of the Apple MDM channel (section <c>Apple</c>, variables <c>LATCH_Apple__...</c>).</summary>
public sealed class AppleOptions : IValidatableObject
{
    public const string Section = "Apple";

    /// <summary>
    /// The address devices reach this server at (for example https://mdm.example.com), written into enrolment profiles.
    /// Unset: the address the profile was downloaded from, which is right when admins and devices use the same one.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>Largest check-in or command report accepted, in bytes. Real messages are a few kilobytes.</summary>
    [Range(4_096, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Shown to users in the enrolment profile.</summary>
    [Required]
    public string Organization { get; set; } = "Latch";

    /// <summary>
    /// Key type of the device identities in new profiles. Rsa2048 (default) works on every Apple OS version; EcdsaP256 is
    /// for load tests with thousands of simulated devices, where generating RSA keys would be most of the cost.
    /// </summary>
    public DeviceKeyAlgorithm DeviceKeyAlgorithm { get; set; } = DeviceKeyAlgorithm.Rsa2048;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
            yield return new ValidationResult("Apple:PublicUrl must be an absolute http(s) address, such as https://mdm.example.com.", [nameof(PublicUrl)]);
    }
}
