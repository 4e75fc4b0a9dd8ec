using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Latch.Devices.Windows;

namespace Latch.Devices.Cli;

// The `latch-devices` command line: `apple` enrols simulated iPhones, iPads and Macs with a Latch
// server and answers its commands until Ctrl+C.
internal static class DevicesCommandLine
{
    // The `http` client is for tests (an in-memory server); by default a real one is made.
    public static async Task<int> InvokeAsync(
        string[] args, HttpClient? http = null, TextWriter? output = null, TextWriter? error = null,
        CancellationToken cancellationToken = default)
    {
        using var ownClient = http is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(30) } : null;
        var root = Build(http ?? ownClient!);
        var configuration = new InvocationConfiguration
        {
            // Long enough for --check-out-on-exit to reach the server after Ctrl+C.
            ProcessTerminationTimeout = TimeSpan.FromSeconds(20),
        };
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return await root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    public static RootCommand Build(HttpClient http)
    {
        var server = new Option<Uri>("--server")
        {
            Description = "The Latch server's base URL, e.g. http://localhost:5080.",
            Required = true,
            CustomParser = ParseServer,
        };
        var token = new Option<string?>("--token")
        {
            Description = "An API token that may download enrolment profiles (default: the LATCH_TOKEN environment variable).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATCH_TOKEN"),
        };
        var user = new Option<string>("--user")
        {
            Description = "The userPrincipalName the devices are enrolled for, e.g. ada.lovelace@demo.latch.example.",
            Required = true,
        };
        var iphones = Count("--iphones", "How many iPhones to simulate.", 1);
        var ipads = Count("--ipads", "How many iPads to simulate.", 0);
        var macs = Count("--macs", "How many Macs to simulate.", 0);
        var noPasscode = new Option<bool>("--no-passcode") { Description = "iPhones and iPads have no passcode (DeviceLock answers NoPasscodeSet)." };
        var supervised = new Option<bool>("--supervised") { Description = "The devices report themselves as supervised." };
        var commandsDir = new Option<string?>("--commands-dir")
        {
            Description = "Write every received command plist to DIR/<device>/{sequence}-{RequestType}-{CommandUUID}.plist.",
        };
        var poll = new Option<TimeSpan>("--poll")
        {
            Description = "How often each device asks for commands: 30s, 2m, 500ms, or hh:mm:ss.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
            CustomParser = ParseInterval,
        };
        var rounds = new Option<int?>("--rounds")
        {
            Description = "Stop after this many sessions per device (default: until Ctrl+C).",
        };
        rounds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--rounds must be at least 1.");
            }
        });
        var checkOut = new Option<bool>("--check-out-on-exit") { Description = "Send CheckOut for every device when stopping, as removing the profile does." };

        var apple = new Command("apple", "Enrol simulated iPhones, iPads and Macs over the real Apple MDM protocol and answer commands. "
            + "Exit codes: 0 stopped, 1 other failure, 2 server unreachable, 3 token refused (401), 4 forbidden (403), "
            + "5 profile not acceptable, 6 enrolment refused.")
        {
            server, token, user, iphones, ipads, macs, noPasscode, supervised, commandsDir, poll, rounds, checkOut,
        };
        apple.SetAction(async (parse, cancellationToken) =>
        {
            var bearer = parse.GetValue(token);
            if (string.IsNullOrWhiteSpace(bearer))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("An API token is needed: --token, or the LATCH_TOKEN environment variable.");
                return AppleFleet.ExitFailure;
            }

            if (parse.GetValue(iphones) + parse.GetValue(ipads) + parse.GetValue(macs) == 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Simulate at least one device: --iphones, --ipads or --macs.");
                return AppleFleet.ExitFailure;
            }

            var settings = new AppleFleetSettings(
                parse.GetRequiredValue(server), bearer, parse.GetRequiredValue(user),
                parse.GetValue(iphones), parse.GetValue(ipads), parse.GetValue(macs),
                parse.GetValue(noPasscode), parse.GetValue(supervised), parse.GetValue(commandsDir),
                parse.GetValue(poll), parse.GetValue(checkOut), parse.GetValue(rounds));
            var fleet = new AppleFleet(settings, http, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            return await fleet.RunAsync(cancellationToken);
        });

        return new RootCommand("Latch simulated devices: they speak the real device protocols to a Latch server.") { apple, Windows(http, token, user, poll, rounds) };
    }

    private static Command Windows(HttpClient http, Option<string?> token, Option<string> user, Option<TimeSpan> poll, Option<int?> rounds)
    {
        var server = new Option<Uri>("--server")
        {
            Description = "The Latch server's Windows device address (its HTTPS device port), e.g. https://localhost:5443.",
            Required = true,
            CustomParser = ParseServer,
        };
        var api = new Option<Uri?>("--api")
        {
            Description = "The Latch admin API's base URL, where enrolment codes are issued with --token (default: --server).",
            CustomParser = ParseServer,
        };
        var code = new Option<string?>("--code") { Description = "Enrol one device with this enrolment code instead of issuing codes with --token." };
        var kinds = new (WindowsDeviceKind Kind, Option<int> Option)[]
        {
            (WindowsDeviceKind.Windows10Mobile, Count("--mobile", "How many Windows 10 Mobile phones to simulate.", 1)),
            (WindowsDeviceKind.WindowsPhone81, Count("--phone81", "How many Windows Phone 8.1 phones to simulate.", 0)),
            (WindowsDeviceKind.WindowsRT, Count("--rt", "How many Windows RT 8.1 tablets to simulate.", 0)),
            (WindowsDeviceKind.Windows81, Count("--win81", "How many Windows 8.1 PCs to simulate.", 0)),
            (WindowsDeviceKind.Windows10Desktop, Count("--desktop", "How many Windows 10 desktops to simulate.", 0)),
        };
        var osVersion = new Option<string?>("--os-version") { Description = "The OS version the devices report (default: each kind's, e.g. 10.0.15063.0)." };
        var azureAd = new Option<bool>("--azure-ad") { Description = "The devices enrol as part of an Azure AD join." };
        var noPin = new Option<bool>("--no-pin") { Description = "No PIN is set: RemoteLock/Lock answers 405." };
        var signedIn = new Option<string>("--signed-in")
        {
            Description = "Who is signed in, as LoginStatus reports it: user (the enrolling user), others or none.",
            DefaultValueFactory = _ => "user",
        };
        signedIn.AcceptOnlyFromAmong("user", "others", "none");
        var serverCa = new Option<FileInfo?>("--server-ca") { Description = "A PEM or DER file with the CA the enrolment server's certificate must chain to." };
        var unenrol = new Option<bool>("--unenrol-on-exit") { Description = "Send Generic Alert 1226 for every device when stopping, as removing the work account does." };

        var windows = new Command("windows", "Enrol simulated Windows devices over MS-MDE2 and answer OMA-DM sessions. "
            + "Exit codes: 0 stopped, 1 other failure, 2 server unreachable, 3 token refused (401), 4 forbidden (403), 6 enrolment refused.")
        {
            server, api, token, user, code, osVersion, azureAd, noPin, signedIn, serverCa, poll, rounds, unenrol,
        };
        foreach (var (_, option) in kinds) windows.Options.Add(option);
        windows.SetAction(async (parse, cancellationToken) =>
        {
            var bearer = parse.GetValue(token);
            if (parse.GetValue(code) is null && string.IsNullOrWhiteSpace(bearer))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Enrolment codes are needed: --code, or --token (or LATCH_TOKEN) to issue them.");
                return AppleFleet.ExitFailure;
            }
            var counts = kinds.Select(k => (k.Kind, parse.GetValue(k.Option))).Where(k => k.Item2 > 0).ToList();
            if (counts.Count == 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Simulate at least one device: --mobile, --phone81, --rt, --win81 or --desktop.");
                return AppleFleet.ExitFailure;
            }
            using var ca = parse.GetValue(serverCa) is { } file ? X509CertificateLoader.LoadCertificateFromFile(file.FullName) : null;
            var settings = new WindowsFleetSettings(parse.GetRequiredValue(server), parse.GetValue(api) ?? parse.GetRequiredValue(server), bearer,
                parse.GetRequiredValue(user), parse.GetValue(code), counts, parse.GetValue(osVersion), parse.GetValue(azureAd), parse.GetValue(noPin),
                parse.GetRequiredValue(signedIn), ca, parse.GetValue(poll), parse.GetValue(unenrol), parse.GetValue(rounds));
            return await new WindowsFleet(settings, http, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error).RunAsync(cancellationToken);
        });
        return windows;
    }

    // "30s", "2m", "1h", "500ms", or a TimeSpan ("00:00:30").
    public static TimeSpan? TryParseInterval(string text)
    {
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && double.IsFinite(n) && n > 0 && n * seconds <= TimeSpan.FromDays(1).TotalSeconds)
            {
                return TimeSpan.FromSeconds(n * seconds);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
    }

    private static TimeSpan ParseInterval(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (TryParseInterval(text) is { } interval)
        {
            return interval;
        }

        result.AddError($"'{text}' is not a positive interval such as 30s, 2m or 00:00:30.");
        return default;
    }

    private static Uri? ParseServer(ArgumentResult result)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        result.AddError($"'{text}' is not an http(s) URL such as http://localhost:5080.");
        return null;
    }

    private static Option<int> Count(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 1000)
            {
                r.AddError($"{name} must be between 0 and 1000.");
            }
        });
        return option;
    }
}
