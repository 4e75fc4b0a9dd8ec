using System.ComponentModel.DataAnnotations;

namespace Latch.Server.Windows.Push;

/// <summary>
/// LATCH_Windows__Wns__*: the cloud-service credentials Windows Push Notification Services issues for the app
/// (https://learn.microsoft.com/windows/apps/develop/notifications/push-notifications/wns-overview#registering-your-app-and-receiving-the-credentials-for-your-cloud-service).
/// Without both <see cref="PackageSid"/> and <see cref="ClientSecret"/> push is off and Windows devices get their
/// commands at their next scheduled session.
/// </summary>
public sealed class WnsOptions : IValidatableObject
{
    public const string Section = "Windows:Wns";
    public const string DefaultTokenEndpoint = "https://login.live.com/accesstoken.srf";
    public const string DefaultScope = "notify.windows.com";

    /// <summary>The Package Security Identifier (<c>ms-app://s-1-15-2-…</c>): the OAuth <c>client_id</c>.</summary>
    public string? PackageSid { get; set; }

    /// <summary>The OAuth <c>client_secret</c>. Never logged and never in <see cref="ToString"/> or a result's detail.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Where access tokens come from (https only): login.live.com unless pointed at a local fake.</summary>
    public Uri TokenEndpoint { get; set; } = new(DefaultTokenEndpoint);

    public string Scope { get; set; } = DefaultScope;

    /// <summary>
    /// The hosts a channel URI may name (an SSRF guard: the URI comes from the device). An entry starting with a dot
    /// matches any host below it (<c>.notify.windows.com</c> takes <c>db5p.notify.windows.com</c>, not
    /// <c>evilnotify.windows.com</c>); any other entry matches that exact host (<c>127.0.0.1</c> for a local fake).
    /// Configuration appends to the default rather than replacing it, as the binder does for arrays.
    /// </summary>
    public string[] AllowedChannelHostSuffixes { get; set; } = [".notify.windows.com"];

    /// <summary>How long one request (a token or a notification) may take before it counts as unreachable.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// SHA-256 of the one server certificate to accept (hex; colons allowed), for the token endpoint and every
    /// channel host, instead of the system's trust store: for a local fake WNS only. Leave empty for Microsoft's servers.
    /// </summary>
    public string? ServerCertificateSha256 { get; set; }

    /// <summary>The first back-off after WNS answers 406 (throttled) for a channel; it doubles per 406 in a row up to <see cref="ThrottleBackoffMax"/>.</summary>
    public TimeSpan ThrottleBackoff { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan ThrottleBackoffMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long before its expires_in an access token is replaced (at most half its lifetime).</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(PackageSid) && !string.IsNullOrWhiteSpace(ClientSecret);

    /// <summary>The pin as upper-case hex without separators, or null.</summary>
    internal string? ServerCertificatePin =>
        string.IsNullOrWhiteSpace(ServerCertificateSha256)
            ? null
            : ServerCertificateSha256.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant();

    // The secret is only ever said to be set or not.
    public override string ToString() =>
        $"WnsOptions {{ PackageSid = {PackageSid ?? "(none)"}, ClientSecret = {(string.IsNullOrEmpty(ClientSecret) ? "(none)" : "(set)")}, " +
        $"TokenEndpoint = {TokenEndpoint}, Scope = {Scope}, AllowedChannelHostSuffixes = [{string.Join(", ", AllowedChannelHostSuffixes ?? [])}], " +
        $"Timeout = {Timeout}, Pinned = {ServerCertificatePin is not null} }}";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TokenEndpoint is not { IsAbsoluteUri: true } || TokenEndpoint.Scheme != Uri.UriSchemeHttps)
            yield return new ValidationResult(
                $"Windows:Wns:TokenEndpoint is '{TokenEndpoint}'; it must be an absolute https address such as {DefaultTokenEndpoint}.",
                [nameof(TokenEndpoint)]);
        if (string.IsNullOrWhiteSpace(PackageSid) != string.IsNullOrWhiteSpace(ClientSecret))
            yield return new ValidationResult(
                "Windows:Wns:PackageSid and Windows:Wns:ClientSecret go together: set both to turn WNS push on, or neither to leave it off.",
                [nameof(PackageSid), nameof(ClientSecret)]);
        if (string.IsNullOrWhiteSpace(Scope))
            yield return new ValidationResult($"Windows:Wns:Scope must not be empty (WNS expects {DefaultScope}).", [nameof(Scope)]);
        if (AllowedChannelHostSuffixes is null || AllowedChannelHostSuffixes.Length == 0)
            yield return new ValidationResult(
                "Windows:Wns:AllowedChannelHostSuffixes must name at least one host or suffix (.notify.windows.com).",
                [nameof(AllowedChannelHostSuffixes)]);
        else if (AllowedChannelHostSuffixes.FirstOrDefault(entry => !IsHostEntry(entry)) is { } bad)
            yield return new ValidationResult(
                $"Windows:Wns:AllowedChannelHostSuffixes has '{bad}'; each entry is a host name or IP address, or a suffix starting with a dot (.notify.windows.com).",
                [nameof(AllowedChannelHostSuffixes)]);
        if (Timeout <= TimeSpan.Zero)
            yield return new ValidationResult("Windows:Wns:Timeout must be more than zero.", [nameof(Timeout)]);
        if (ServerCertificatePin is { } pin && (pin.Length != 64 || !pin.All(char.IsAsciiHexDigit)))
            yield return new ValidationResult(
                "Windows:Wns:ServerCertificateSha256 must be 64 hexadecimal characters (a SHA-256 of the server certificate).",
                [nameof(ServerCertificateSha256)]);
        if (ThrottleBackoff <= TimeSpan.Zero)
            yield return new ValidationResult("Windows:Wns:ThrottleBackoff must be more than zero.", [nameof(ThrottleBackoff)]);
        if (ThrottleBackoffMax < ThrottleBackoff)
            yield return new ValidationResult("Windows:Wns:ThrottleBackoffMax must be at least Windows:Wns:ThrottleBackoff.", [nameof(ThrottleBackoffMax)]);
        if (TokenRefreshMargin < TimeSpan.Zero)
            yield return new ValidationResult("Windows:Wns:TokenRefreshMargin must not be negative.", [nameof(TokenRefreshMargin)]);
    }

    // ".notify.windows.com", "127.0.0.1", "localhost": no scheme, path, port, user or wildcard, and not a bare dot.
    private static bool IsHostEntry(string? entry)
    {
        if (string.IsNullOrWhiteSpace(entry)) return false;
        var host = entry.StartsWith('.') ? entry[1..] : entry;
        return host.Length > 0 && Uri.CheckHostName(host) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
