using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Latch.Devices.Windows;

namespace Latch.Devices.Cli;

internal sealed record WindowsFleetSettings(
    Uri Server, Uri? Api, string? Token, string User, string? Code, IReadOnlyList<(WindowsDeviceKind Kind, int Count)> Kinds,
    string? OsVersion, bool AzureAdJoined, bool NoPin, string SignedIn, X509Certificate2? ServerCa, TimeSpan Poll, bool UnenrolOnExit, int? Rounds);

// Gets one enrolment code per device (from the admin API with a token, or the one --code), enrols them all through
// MS-MDE2, then runs a session per device every poll interval and prints one line per command handled.
internal sealed class WindowsFleet(WindowsFleetSettings settings, HttpClient http, TextWriter output, TextWriter error)
{
    private readonly List<SimulatedWindowsDevice> _devices = [];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var exit = await EnrolAllAsync(cancellationToken);
            if (exit != AppleFleet.ExitStopped) return exit;
            await PollAsync(cancellationToken);
            return AppleFleet.ExitStopped;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync("Stopping.");
            return AppleFleet.ExitStopped;
        }
        finally
        {
            if (settings.UnenrolOnExit) await UnenrolAllAsync();
            _devices.ForEach(d => d.Dispose());
        }
    }

    private async Task<int> EnrolAllAsync(CancellationToken cancellationToken)
    {
        var localPart = settings.User.Split('@')[0];
        if (settings.ServerCa is null)
            await error.WriteLineAsync("Note: the enrolment server's TLS certificate is not checked (pass --server-ca to check it); management sessions check it against the root the server provisions.");
        foreach (var (kind, n) in settings.Kinds.SelectMany(k => Enumerable.Range(1, k.Count).Select(n => (k.Kind, n))))
        {
            var (code, failure) = settings.Code is { } given ? (given, null) : await IssueCodeAsync(cancellationToken);
            if (code is null) return failure!.Value;
            var device = new SimulatedWindowsDevice(settings.Server, settings.User, code, new SimulatedWindowsDeviceOptions
            {
                Kind = kind, OsVersion = settings.OsVersion, AzureAdJoined = settings.AzureAdJoined, PinSet = !settings.NoPin,
                DeviceName = $"Simulated {kind} {n} ({localPart})", SignedIn = settings.SignedIn, EnrollmentServerRoot = settings.ServerCa,
            });
            try
            {
                await device.EnrollAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is WindowsMdmException or HttpRequestException)
            {
                device.Dispose();
                await error.WriteLineAsync($"{device.DeviceName} could not enrol: {exception.Message}");
                return exception is WindowsMdmException { StatusCode: not null } ? AppleFleet.ExitEnrolmentRefused : AppleFleet.ExitUnreachable;
            }
            _devices.Add(device);
            await output.WriteLineAsync($"Enrolled {device.DeviceName}: Windows {device.OsVersion}, DeviceID {device.DeviceId}, {device.AuthPolicy}, " +
                                        $"{(settings.NoPin ? "no PIN" : "PIN set")}, managed at {device.ManagementUrl}");
            if (settings.Code is not null) break; // a code enrols one device
        }
        return AppleFleet.ExitStopped;
    }

    private async Task<(string? Code, int? Exit)> IssueCodeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.Api!, "v1.0/latch/enrollmentCodes"))
        {
            Content = JsonContent.Create(new { user = settings.User }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            await error.WriteLineAsync($"Cannot reach {settings.Api}: {exception.Message}");
            return (null, AppleFleet.ExitUnreachable);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Created)
                return ((await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("code").GetString(), null);
            await error.WriteLineAsync($"Cannot get an enrolment code: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            return (null, response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => AppleFleet.ExitUnauthorized,
                HttpStatusCode.Forbidden => AppleFleet.ExitForbidden,
                _ => AppleFleet.ExitFailure,
            });
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"{_devices.Count} device(s) open a session every {settings.Poll}. Ctrl+C stops.");
        for (var round = 1; ; round++)
        {
            var sessions = await Task.WhenAll(_devices.Select(async d => (Device: d, Session: await d.RunSessionAsync(cancellationToken: cancellationToken))));
            foreach (var (device, session) in sessions)
            {
                foreach (var command in session.Commands)
                    await output.WriteLineAsync($"{device.DeviceName}: {command.Name} {command.Target} -> {command.Status} ({command.Answer})");
                if (session.Error is { } failure) await error.WriteLineAsync($"{device.DeviceName}: session ended by an error: {failure}");
            }
            if (round == settings.Rounds) return;
            await Task.Delay(settings.Poll, cancellationToken);
        }
    }

    private async Task UnenrolAllAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        foreach (var device in _devices.Where(d => d.Certificate is not null && !d.Unenrolled))
        {
            try
            {
                await device.UnenrollAsync(timeout.Token);
                await output.WriteLineAsync($"Unenrolled {device.DeviceName}");
            }
            catch (Exception exception) when (exception is WindowsMdmException or HttpRequestException or OperationCanceledException)
            {
                await error.WriteLineAsync($"{device.DeviceName} could not unenrol: {exception.Message}");
            }
        }
    }
}
