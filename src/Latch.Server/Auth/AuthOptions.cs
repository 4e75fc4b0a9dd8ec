namespace Latch.Server.Auth;

/// <summary>First-start credentials. LATCH_Auth__BootstrapToken: an Administrator token to create at start, so scripts and tests can begin.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string? BootstrapToken { get; set; }

    /// <summary>LATCH_Auth__BootstrapAdminPassword: the password of a console account 'admin' to create at start.</summary>
    public string? BootstrapAdminPassword { get; set; }
}

/// <summary>Authorization policies by what a request does; every admin route names one.</summary>
public static class Policies
{
    /// <summary>Any admin role: read devices, users, groups, actions.</summary>
    public const string Read = "latch.read";

    /// <summary>Administrator or Help Desk Operator: remote lock, passcode reset, see temporary passcodes.</summary>
    public const string RemoteActions = "latch.remoteActions";

    /// <summary>Administrator only: tokens, accounts.</summary>
    public const string Administer = "latch.administer";

    /// <summary>Whether the caller may enrol devices for another user or for a known device (profiles, codes): an Administrator or Help Desk Operator.</summary>
    public static bool CanEnrolForOthers(HttpContext http) =>
        http.User.IsInRole(nameof(Latch.Core.Access.AdminRole.Administrator)) || http.User.IsInRole(nameof(Latch.Core.Access.AdminRole.HelpDeskOperator));
}
