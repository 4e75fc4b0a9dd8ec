using System.Net;
using Latch.Devices.Apple;

namespace Latch.Devices.Cli;

internal sealed record AppleFleetSettings(
    Uri Server, string Token, string User, int IPhones, int IPads, int Macs, bool NoPasscode, bool Supervised,
    string? CommandsDirectory, TimeSpan Poll, bool CheckOutOnExit, int? Rounds);

// Downloads one profile per device, enrols them all, then runs a session per device every poll
// interval and prints one line per command handled, until cancelled or the rounds are done.
internal sealed class AppleFleet(AppleFleetSettings settings, HttpClient http, TextWriter output, TextWriter error)
{
    public const int ExitStopped = 0;
    public const int ExitFailure = 1;
    public const int ExitUnreachable = 2;
    public const int ExitUnauthorized = 3;
    public const int ExitForbidden = 4;
    public const int ExitBadProfile = 5;
    public const int ExitEnrolmentRefused = 6;

    private readonly List<SimulatedAppleDevice> _devices = [];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var exit = await EnrolAllAsync(cancellationToken);
            if (exit != ExitStopped)
            {
                return exit;
            }

            await PollAsync(cancellationToken);
            return ExitStopped;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync("Stopping.");
            return ExitStopped;
        }
        finally
        {
            if (settings.CheckOutOnExit)
            {
                await CheckOutAllAsync();
            }

            _devices.ForEach(d => d.Dispose());
        }
    }

    private async Task<int> EnrolAllAsync(CancellationToken cancellationToken)
    {
        var localPart = settings.User.Split('@')[0];
        var wanted = Enumerable.Range(1, settings.IPhones).Select(n => (AppleDeviceKind.IPhone, n))
            .Concat(Enumerable.Range(1, settings.IPads).Select(n => (AppleDeviceKind.IPad, n)))
            .Concat(Enumerable.Range(1, settings.Macs).Select(n => (AppleDeviceKind.Mac, n)));
        foreach (var (kind, n) in wanted)
        {
            var family = kind switch { AppleDeviceKind.IPhone => "iPhone", AppleDeviceKind.IPad => "iPad", _ => "Mac" };
            byte[] profile;
            try
            {
                profile = await AppleEnrollmentProfile.DownloadAsync(http, settings.Server, settings.Token, settings.User, cancellationToken);
            }
            catch (AppleProfileDownloadException ex)
            {
                await error.WriteLineAsync($"Cannot download an enrolment profile: {ex.Message}");
                return ex.StatusCode switch
                {
                    null => ExitUnreachable,
                    HttpStatusCode.Unauthorized => ExitUnauthorized,
                    HttpStatusCode.Forbidden => ExitForbidden,
                    _ => ExitFailure,
                };
            }

            SimulatedAppleDevice device;
            try
            {
                device = new SimulatedAppleDevice(profile, kind, http, new SimulatedAppleDeviceOptions
                {
                    DeviceName = $"Simulated {family} {n} ({localPart})",
                    PasscodeSet = kind == AppleDeviceKind.Mac || !settings.NoPasscode,
                    Supervised = settings.Supervised,
                    CommandsDirectory = settings.CommandsDirectory is { } dir ? Path.Combine(dir, $"{family.ToLowerInvariant()}-{n}") : null,
                });
            }
            catch (AppleProfileException ex)
            {
                await error.WriteLineAsync($"The server's enrolment profile is not acceptable: {ex.Message}");
                return ExitBadProfile;
            }

            try
            {
                await device.EnrollAsync(cancellationToken);
            }
            catch (AppleMdmRequestException ex)
            {
                device.Dispose();
                await error.WriteLineAsync($"{device.DeviceName} could not enrol: {ex.Message}");
                return ex.Error?.StatusCode is null ? ExitUnreachable : ExitEnrolmentRefused;
            }

            _devices.Add(device);
            var passcode = device.PasscodeSet ? "passcode set" : "no passcode";
            await output.WriteLineAsync(
                $"Enrolled {device.DeviceName}: {device.ProductName}, {device.OSName} {device.OSVersion}, serial {device.SerialNumber}, UDID {device.Udid}, {passcode}");
        }

        return ExitStopped;
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"{_devices.Count} device(s) ask for commands every {settings.Poll}. Ctrl+C stops.");
        for (var round = 1; ; round++)
        {
            var sessions = await Task.WhenAll(_devices.Select(async d => (Device: d, Session: await d.RunSessionAsync(cancellationToken))));
            foreach (var (device, session) in sessions)
            {
                foreach (var command in session.Commands)
                {
                    await output.WriteLineAsync($"{device.DeviceName}: {command.RequestType} -> {command.Answer} ({command.Detail})");
                }

                if (session.Error is { } failure)
                {
                    await error.WriteLineAsync($"{device.DeviceName}: session ended by an error: {failure}");
                }
            }

            if (round == settings.Rounds)
            {
                return;
            }

            await Task.Delay(settings.Poll, cancellationToken);
        }
    }

    private async Task CheckOutAllAsync()
    {
        // The run's own token may already be cancelled (Ctrl+C): check-out gets a short time of its own.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        foreach (var device in _devices.Where(d => d.IsEnrolled))
        {
            try
            {
                await device.CheckOutAsync(timeout.Token);
                await output.WriteLineAsync($"Checked out {device.DeviceName}");
            }
            catch (AppleMdmRequestException ex)
            {
                await error.WriteLineAsync($"{device.DeviceName} could not check out: {ex.Message}");
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync($"{device.DeviceName} could not check out in time.");
                return;
            }
        }
    }
}
