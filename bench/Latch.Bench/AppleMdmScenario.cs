using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Rules;
using Latch.Devices.Apple;
using Latch.Protocols.Apple;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;


namespace Latch.Bench;

internal sealed record AppleBenchSettings(
    string ServerDll, IReadOnlyList<int> LockCounts, int Runs, int Concurrency, TimeSpan WarmUp, TimeSpan Duration, int EnrolParallelism,
    bool Breakdown, string? Snapshot, string DeviceKey);

/// <summary>
/// Apple MDM device traffic against the built server (its own process, SQLite, loopback): N simulated iPhones are enrolled
/// once (setup, not timed), then each of <c>--runs</c> measures (a) the bare-Kestrel ceiling, (b) Idle check-ins per second
/// with nothing queued, (c) remote-lock round trips (Idle → DeviceLock → Acknowledged → empty answer) for each N, all with
/// the same client settings and concurrency. Afterwards the killed server's SQLite file must hold every lock as done.
/// </summary>
internal static class AppleMdmScenario
{
    public const string CommandPath = "/mdm/apple/command";

    private const string Token = "latch-bench-apple-token-01234567"; // LATCH_Auth__BootstrapToken: 32 characters
    private const string UserAgent = "MDM/1.0 (Latch simulated device)"; // what SimulatedAppleDevice sends as an iPhone
    // Lock round trips before any run, untimed, until the server's code is compiled for good: the runtime recompiles hot
    // methods in tiers (with profile-guided optimisation) over the first seconds of traffic, on the same two cores. A 256-
    // round-trip warm-up left the JIT with about an eighth of the server's CPU inside the 10,000-device window.
    private const int WarmUpDevices = 1_000;
    private static readonly TimeSpan WarmUpTraffic = TimeSpan.FromSeconds(8);
    private static readonly string[] Users = ["ada.lovelace", "grace.hopper", "alan.turing", "katherine.johnson", "margaret.hamilton"];

    public static async Task RunAsync(AppleBenchSettings settings)
    {
        var lockCounts = settings.LockCounts.Distinct().Order().ToList();
        Console.WriteLine($"Latch Apple MDM benchmark (SQLite, every answer after its commit is on disk), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, " +
                          $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {LoadAverage()}");
        Console.WriteLine($"Client: one SocketsHttpHandler per measurement, HTTP/1.1 keep-alive, {settings.Concurrency} connections with one request " +
                          $"in flight each; rates over {settings.Duration.TotalSeconds:0} s after {settings.WarmUp.TotalSeconds:0} s of warm-up. " +
                          "Client and server share the machine's cores.");
        Console.WriteLine($"Device identities: {settings.DeviceKey} (LATCH_Apple__DeviceKeyAlgorithm).");
        Console.WriteLine($"Devices: {lockCounts[^1]:N0} iPhones enrolled once ({settings.EnrolParallelism} at a time), then {settings.Runs} runs on " +
                          "them: bare Kestrel, Idle, and lock round trips for " +
                          string.Join(" and ", lockCounts.Select(n => n.ToString("N0", CultureInfo.InvariantCulture))) + " of them.");
        Console.WriteLine();

        var dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"latch-bench-apple-{Guid.NewGuid():N}")).FullName;
        var snapshot = settings.Snapshot is { } folder && AppleFleetSnapshot.Exists(folder) ? folder : null;
        if (snapshot is not null) AppleFleetSnapshot.CopyDataTo(snapshot, dataDirectory);
        var serverOutput = new ConcurrentQueue<string>();
        var port = HttpBulkScenario.FreePort();
        var server = HttpBulkScenario.Start(settings.ServerDll, dataDirectory, port, new Dictionary<string, string>
        {
            ["LATCH_Demo"] = "true",
            ["LATCH_SimulatedDevices"] = "false",
            ["LATCH_Auth__BootstrapToken"] = Token,
            // ECDSA by default: the devices' signatures on their reports then cost the load generator little. Rsa2048, Latch's
            // default identity, costs the server less per check (≈ 36 µs against ≈ 110 µs here) and the client ≈ 0.9 ms per report.
            ["LATCH_Apple__DeviceKeyAlgorithm"] = settings.DeviceKey,
        }, line => Keep(serverOutput, line));
        var devices = new List<BenchDevice>();
        try
        {
            var root = new Uri($"http://127.0.0.1:{port}/");
            using var admin = new HttpClient { BaseAddress = root, Timeout = TimeSpan.FromMinutes(5) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            await HttpBulkScenario.WaitHealthyAsync(admin, server);

            TimeSpan enrolment;
            if (snapshot is not null)
            {
                (devices, enrolment) = await AppleFleetSnapshot.LoadDevicesAsync(snapshot, lockCounts[^1]);
                Console.WriteLine($"Setup: {devices.Count:N0} enrolled iPhones taken from the snapshot in {snapshot} (enrolling them took " +
                                  $"{Seconds(enrolment)} when it was made)");
            }
            else
            {
                var watch = Stopwatch.StartNew();
                devices = await EnrolAsync(root, lockCounts[^1], settings.EnrolParallelism);
                enrolment = watch.Elapsed;
                Console.WriteLine($"Setup: {devices.Count:N0} iPhones enrolled in {Seconds(enrolment)} ({devices.Count / enrolment.TotalSeconds:N0}/s; " +
                                  "profile download, Authenticate, TokenUpdate, one session answering DeviceInformation and SecurityInfo)");
                if (settings.Snapshot is { } keepIn)
                {
                    await AppleFleetSnapshot.SaveAsync(keepIn, dataDirectory, devices, enrolment);
                    Console.WriteLine($"Snapshot of the enrolled fleet kept in {keepIn}: later runs with --snapshot start from a copy of it.");
                }
            }
            await AssignIdsAsync(admin, devices);

            // Remote locks of the same devices again and again, not timed, so the timed runs measure compiled code.
            var serverUrl = new Uri(root, CommandPath.TrimStart('/'));
            var warmUp = devices.TakeLast(Math.Min(WarmUpDevices, devices.Count)).ToList();
            var locks = new List<(int Devices, Guid RequestId)>();
            var samples = new List<Sample>();
            var warming = Stopwatch.StartNew();
            while (warming.Elapsed < WarmUpTraffic)
            {
                var warmUpRequest = await QueueLockAsync(admin, warmUp);
                samples.Add(await RoundTripsAsync(serverUrl, warmUp, server, settings.Concurrency));
                locks.Add((warmUp.Count, warmUpRequest.RequestId));
            }
            Console.WriteLine($"Warm-up: {locks.Count} × {warmUp.Count:N0} lock round trips in {Seconds(warming.Elapsed)} (not timed), " +
                              $"{samples.Sum(s => s.Failures)} failures");
            // A running server has seen its devices before; the first Idle of each device since the start is measured apart,
            // on the devices the warm-up did not use.
            var unseen = devices.SkipLast(warmUp.Count).ToList();
            if (unseen.Count > 0)
            {
                var firstContact = await IdleOncePerDeviceAsync(serverUrl, unseen, server, settings.Concurrency);
                Report("first Idle of each device not in the warm-up, since the server started (not in the runs)", firstContact, "request");
                samples.Add(firstContact);
            }

            var runs = new List<AppleRun>();
            for (var run = 1; run <= settings.Runs; run++)
            {
                Console.WriteLine();
                Console.WriteLine($"Run {run} of {settings.Runs} (load average {LoadAverage()})");
                var bare = await BareKestrelAsync(devices, settings);
                Report("bare Kestrel (separate process)", bare, "request");

                var idle = await IdleLoadAsync(serverUrl, devices, server, settings);
                Report("Latch, Idle with nothing queued", idle, "request");
                Console.WriteLine($"    ratio to bare Kestrel: {idle.PerSecond / bare.PerSecond:F2} (target ≥ 0.40)");

                var roundTrips = new Dictionary<int, Sample>();
                foreach (var count in lockCounts)
                {
                    var queued = await QueueLockAsync(admin, devices.Take(count).ToList());
                    var (preSigned, preSigning) = PreSignAcknowledged(Path.Combine(dataDirectory, "latch.db"), devices.Take(count).ToList());
                    var sample = await RoundTripsAsync(serverUrl, devices.Take(count).ToList(), server, settings.Concurrency);
                    Report($"lock round trips, {count:N0} devices (queued in {Seconds(queued.Took)}, not timed)", sample, "round trip");
                    Console.WriteLine($"    Acknowledged reports signed before the window (not timed): {preSigned:N0} in {Seconds(preSigning)}; " +
                                      $"signed in the window: {sample.SignedInWindow:N0} ({sample.Signing.TotalSeconds:F2} s of client time)");
                    roundTrips[count] = sample;
                    locks.Add((count, queued.RequestId));
                }
                samples.AddRange([bare, idle, .. roundTrips.Values]);
                runs.Add(new AppleRun(bare, idle, roundTrips));
            }

            // Durability and correctness: the server is killed (no graceful shutdown), then its SQLite file is read.
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            var failed = samples.Where(s => s.Failures > 0).ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException($"{failed.Sum(s => s.Failures)} requests failed; the first: {failed[0].FirstFailure}");
            var databasePath = Path.Combine(dataDirectory, "latch.db");
            Console.WriteLine();
            await VerifyAsync(databasePath, locks);

            if (settings.Breakdown) await AppleBreakdown.RunAsync(databasePath, dataDirectory, devices, settings.Concurrency);
            PrintSummary(settings, lockCounts, enrolment, runs);
        }
        catch
        {
            Console.WriteLine("Last lines of the server's output:");
            foreach (var line in serverOutput) Console.WriteLine($"    {line}");
            throw;
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            server.Dispose();
            devices.ForEach(d => d.Device.Dispose());
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<Sample> BareKestrelAsync(List<BenchDevice> devices, AppleBenchSettings settings)
    {
        var port = HttpBulkScenario.FreePort();
        using var bare = StartBareKestrel(port);
        try
        {
            using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            await HttpBulkScenario.WaitHealthyAsync(probe, bare);
            return await IdleLoadAsync(new Uri($"http://127.0.0.1:{port}{CommandPath}"), devices, bare, settings);
        }
        finally
        {
            bare.Kill(entireProcessTree: true);
            await bare.WaitForExitAsync();
        }
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    // Profiles for the demo users in turn, then Authenticate, TokenUpdate and one session, as a new iPhone does.
    private static async Task<List<BenchDevice>> EnrolAsync(Uri server, int count, int parallelism)
    {
        using var http = NewClient(parallelism);
        var devices = new BenchDevice[count];
        long download = 0, checkIn = 0, session = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (i, cancellationToken) =>
            {
                var started = Stopwatch.GetTimestamp();
                var profile = await AppleEnrollmentProfile.DownloadAsync(http, server, Token, $"{Users[i % Users.Length]}@demo.latch.example",
                    cancellationToken);
                var device = new SimulatedAppleDevice(profile, AppleDeviceKind.IPhone, http,
                    new SimulatedAppleDeviceOptions { DeviceName = $"Bench iPhone {i}", SerialNumber = $"LB{i:D8}" });
                var downloaded = Stopwatch.GetTimestamp();
                await device.EnrollAsync(cancellationToken);
                var enrolled = Stopwatch.GetTimestamp();
                var first = await device.RunSessionAsync(cancellationToken);
                if (!first.Completed || first.Commands.Count == 0 || first.Commands.Any(c => c.Answer != CommandResponseStatus.Acknowledged))
                {
                    device.Dispose();
                    throw new InvalidOperationException($"{device.DeviceName}: the first session did not end well: {first.Error}");
                }
                Interlocked.Add(ref download, downloaded - started);
                Interlocked.Add(ref checkIn, enrolled - downloaded);
                Interlocked.Add(ref session, Stopwatch.GetTimestamp() - enrolled);
                devices[i] = new BenchDevice(device, profile);
            });
        string Each(long ticks) => $"{Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds / count:F0} ms";
        Console.WriteLine($"Enrolment, mean latency per device with {parallelism} at a time: profile download and reading {Each(download)}, " +
                          $"Authenticate + TokenUpdate {Each(checkIn)}, first session (Idle, two queries answered) {Each(session)}");
        return [.. devices];
    }

    // The devices' ids, from the admin API (matched by serial number).
    private static async Task AssignIdsAsync(HttpClient admin, List<BenchDevice> devices)
    {
        var bySerial = devices.ToDictionary(d => d.Device.SerialNumber);
        string? next = "/v1.0/deviceManagement/managedDevices?$select=id,serialNumber&$top=1000";
        while (next is not null)
        {
            using var page = JsonDocument.Parse(await admin.GetStringAsync(next));
            foreach (var item in page.RootElement.GetProperty("value").EnumerateArray())
                if (item.GetProperty("serialNumber").GetString() is { } serial && bySerial.TryGetValue(serial, out var device))
                    device.Id = Guid.Parse(item.GetProperty("id").GetString()!);
            next = page.RootElement.TryGetProperty("@odata.nextLink", out var link) ? link.GetString() : null;
        }
        if (devices.Count(d => d.Id == Guid.Empty) is var missing and > 0)
            throw new InvalidOperationException($"{missing} enrolled devices are missing from managedDevices.");
    }

    private static Process StartBareKestrel(int port)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(AppleMdmScenario).Assembly.Location, "--bare-kestrel", "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    // Every connection sends one device's pre-signed Idle after another (the devices in turn) for the warm-up and the
    // measured window; every answer must be 200 with an empty body.
    private static async Task<Sample> IdleLoadAsync(Uri url, List<BenchDevice> devices, Process target, AppleBenchSettings settings)
    {
        using var client = NewClient(settings.Concurrency);
        long ok = 0, failed = 0, next = -1;
        var stop = 0;
        string? firstFailure = null;
        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                var device = devices[(int)(Interlocked.Increment(ref next) % devices.Count)];
                var (status, answer, error) = await PutAsync(client, url, device.Idle);
                if (status == HttpStatusCode.OK && answer.Length == 0)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, $"Idle: {Describe(status, answer, error)}", null);
                }
            }
        })).ToList();

        await Task.Delay(settings.WarmUp);
        var before = Meter.Read(Interlocked.Read(ref ok), target);
        await Task.Delay(settings.Duration);
        var after = Meter.Read(Interlocked.Read(ref ok), target);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(workers);
        return Sample.Between(before, after, Interlocked.Read(ref ok) + failed, failed, firstFailure, TimeSpan.Zero);
    }

    // Each device sends one Idle; every answer must be 200 with an empty body.
    private static async Task<Sample> IdleOncePerDeviceAsync(Uri url, List<BenchDevice> devices, Process target, int concurrency)
    {
        using var client = NewClient(concurrency);
        long ok = 0, failed = 0, next = -1;
        string? firstFailure = null;
        var before = Meter.Read(0, target);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long index;
            while ((index = Interlocked.Increment(ref next)) < devices.Count)
            {
                var (status, answer, error) = await PutAsync(client, url, devices[(int)index].Idle);
                if (status == HttpStatusCode.OK && answer.Length == 0)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, $"first Idle: {Describe(status, answer, error)}", null);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var after = Meter.Read(ok, target);
        return Sample.Between(before, after, ok + failed, failed, firstFailure, TimeSpan.Zero);
    }

    // Each device once: Idle → DeviceLock → Acknowledged (signed now: it names the command) → 200 with an empty body.
    private static async Task<Sample> RoundTripsAsync(Uri url, List<BenchDevice> devices, Process target, int concurrency)
    {
        using var client = NewClient(concurrency);
        long ok = 0, failed = 0, next = -1, signing = 0, signedInWindow = 0;
        string? firstFailure = null;
        var before = Meter.Read(0, target);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long index;
            while ((index = Interlocked.Increment(ref next)) < devices.Count)
            {
                var (problem, signingTicks) = await RoundTripAsync(client, url, devices[(int)index]);
                if (signingTicks > 0)
                {
                    Interlocked.Add(ref signing, signingTicks);
                    Interlocked.Increment(ref signedInWindow);
                }
                if (problem is null)
                {
                    Interlocked.Increment(ref ok);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, problem, null);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var after = Meter.Read(ok, target);
        return Sample.Between(before, after, ok + failed, failed, firstFailure, Stopwatch.GetElapsedTime(0, signing)) with
        {
            SignedInWindow = signedInWindow,
        };
    }

    // The load generator shares the server's two cores, and a device signs on its own hardware: each device's Acknowledged
    // for the DeviceLock just queued is signed before the timed window, with the command's id read from the server's
    // database file (read-only, beside the running server). A device that gets another command signs in the window.
    private static (int Count, TimeSpan Took) PreSignAcknowledged(string databasePath, List<BenchDevice> devices)
    {
        var watch = Stopwatch.StartNew();
        var byId = devices.ToDictionary(d => d.Id);
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"DeviceId\", \"Id\" FROM \"Commands\" WHERE \"Type\" = 'RemoteLock' AND \"Status\" = 'Queued'";
        using var reader = command.ExecuteReader();
        var count = 0;
        while (reader.Read())
        {
            if (!byId.TryGetValue(reader.GetGuid(0), out var device)) continue;
            var commandUuid = reader.GetGuid(1).ToString();
            device.Acknowledged = (commandUuid, SignedBody.Of(device.Device, AcknowledgedReport(device, commandUuid)));
            count++;
        }
        return (count, watch.Elapsed);
    }

    // The report an iPhone sends for a DeviceLock without a message (SimulatedAppleDevice's form): keys in sorted order.
    private static byte[] AcknowledgedReport(BenchDevice device, string commandUuid) => Plist.Write(new PlistDict(
    [
        new("CommandUUID", new PlistString(commandUuid)),
        new("Status", new PlistString(nameof(CommandResponseStatus.Acknowledged))),
        new("UDID", new PlistString(device.Device.Udid)),
    ]));

    private static async Task<(string? Problem, long SigningTicks)> RoundTripAsync(HttpClient client, Uri url, BenchDevice device)
    {
        var (status, answer, error) = await PutAsync(client, url, device.Idle);
        if (status != HttpStatusCode.OK || answer.Length == 0) return ($"Idle of {device.Device.DeviceName}: {Describe(status, answer, error)}", 0);
        MdmCommand command;
        try
        {
            command = MdmCommand.Decode(answer);
        }
        catch (PlistFormatException exception)
        {
            return ($"Idle of {device.Device.DeviceName}: the answer is not a command: {exception.Message}", 0);
        }
        if (command is not DeviceLock) return ($"Idle of {device.Device.DeviceName}: got {command.RequestType}, not DeviceLock", 0);

        SignedBody acknowledged;
        long signing = 0;
        if (device.Acknowledged is { } preSigned && string.Equals(preSigned.CommandUuid, command.CommandUUID, StringComparison.OrdinalIgnoreCase))
        {
            acknowledged = preSigned.Report;
        }
        else
        {
            var started = Stopwatch.GetTimestamp();
            acknowledged = SignedBody.Of(device.Device, AcknowledgedReport(device, command.CommandUUID));
            signing = Math.Max(1, Stopwatch.GetTimestamp() - started);
        }
        device.Acknowledged = null;

        (status, answer, error) = await PutAsync(client, url, acknowledged);
        return status == HttpStatusCode.OK && answer.Length == 0
            ? (null, signing)
            : ($"Acknowledged of {device.Device.DeviceName}: {Describe(status, answer, error)}", signing);
    }

    private static async Task<(HttpStatusCode? Status, byte[] Answer, string? Error)> PutAsync(HttpClient client, Uri url, SignedBody message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(CommandResponse.ContentType);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        request.Headers.TryAddWithoutValidation(SimulatedAppleDevice.SignatureHeaderName, message.Signature);
        try
        {
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), null);
        }
        catch (HttpRequestException exception)
        {
            return (null, [], exception.Message);
        }
    }

    // The same settings for every measurement: keep-alive connections, at most one per concurrent request.
    private static HttpClient NewClient(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseCookies = false,
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromMinutes(2),
    };

    private static async Task<(Guid RequestId, TimeSpan Took)> QueueLockAsync(HttpClient admin, List<BenchDevice> devices)
    {
        var watch = Stopwatch.StartNew();
        using var response = await admin.PostAsJsonAsync("/v1.0/deviceManagement/managedDevices/executeAction",
            new { actionName = "remoteLock", deviceIds = devices.Select(d => d.Id).ToList() });
        var json = await response.Content.ReadAsStringAsync();
        var took = watch.Elapsed;
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"executeAction answered {response.StatusCode}: {json}");
        using var answer = JsonDocument.Parse(json);
        var queued = answer.RootElement.GetProperty("successfulDeviceIds").GetArrayLength();
        var alreadyPending = answer.RootElement.GetProperty("alreadyPendingDeviceIds").GetArrayLength();
        if (queued != devices.Count || alreadyPending != 0)
            throw new InvalidOperationException($"executeAction queued {queued - alreadyPending} of {devices.Count} locks ({alreadyPending} already pending).");
        return (Guid.Parse(answer.RootElement.GetProperty("requestId").GetString()!), took);
    }

    // Every lock of every request must be done in the database of the killed server.
    internal static async Task VerifyAsync(string databasePath, IReadOnlyList<(int Devices, Guid RequestId)> locks)
    {
        await using var database = await BenchDatabase.SqliteAsync(databasePath);
        await using var scope = database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        var lines = new List<string>();
        var wrong = false;
        foreach (var (count, requestId) in locks)
        {
            var states = await db.DeviceActions.Where(a => a.RequestId == requestId && a.Action == RemoteAction.RemoteLock)
                .GroupBy(a => a.State).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync();
            var done = states.Where(s => s.State == DeviceActionState.Done).Sum(s => s.Count);
            wrong |= done != count || states.Sum(s => s.Count) != count;
            lines.Add($"{done:N0} of {count:N0} done" + (states.Count > 1 || done != count
                ? $" ({string.Join(", ", states.Select(s => $"{s.State}: {s.Count}"))})"
                : ""));
        }
        Console.WriteLine($"  durable: in the SQLite file of the killed server, remote locks {string.Join("; ", lines)}");
        if (wrong) throw new InvalidOperationException("Not every remote-lock action is done in the database: see the line above.");
    }

    internal static void Report(string what, Sample sample, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: {sample.PerSecond:N0}/s ({sample.Requests:N0} in {sample.Elapsed.TotalSeconds:F2} s), " +
            $"{sample.Checked:N0} {unit}s checked, {sample.Failures} failures; CPU: client {sample.ClientCores:F2} cores, server {sample.ServerCores:F2} cores " +
            $"(per {unit}: client {sample.ClientCpuPerRequest:F0} µs, server {sample.ServerCpuPerRequest:F0} µs)"));

    private static void PrintSummary(AppleBenchSettings settings, IReadOnlyList<int> lockCounts, TimeSpan enrolment, List<AppleRun> runs)
    {
        Console.WriteLine();
        Console.WriteLine("Per run:");
        Console.WriteLine();
        Console.WriteLine("| run | bare Kestrel req/s | Idle req/s | Idle / bare | " +
                          string.Join(" | ", lockCounts.Select(n => $"lock round trips/s, {n:N0}")) + " |");
        Console.WriteLine("|---:|---:|---:|---:|" + string.Concat(lockCounts.Select(_ => "---:|")));
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {i + 1} | {run.Bare.PerSecond:N0} | {run.Idle.PerSecond:N0} | {run.Idle.PerSecond / run.Bare.PerSecond:F2} | ") +
                string.Join(" | ", lockCounts.Select(n => run.RoundTrips[n].PerSecond.ToString("N0", CultureInfo.InvariantCulture))) + " |");
        }

        Console.WriteLine();
        Console.WriteLine($"Summary: {runs.Count} runs, {settings.Concurrency} connections, client and server on the same {Environment.ProcessorCount} cores; " +
                          $"SQLite, answers after fsync; setup (not timed): {lockCounts[^1]:N0} devices enrolled in {Seconds(enrolment)}.");
        Console.WriteLine();
        Console.WriteLine("| measure | median | min | max | target | met |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");
        SummaryRow("bare Kestrel, req/s", runs.Select(r => r.Bare.PerSecond), "N0", null);
        SummaryRow("Idle check-ins, req/s", runs.Select(r => r.Idle.PerSecond), "N0", null);
        SummaryRow("Idle / bare (same run)", runs.Select(r => r.Idle.PerSecond / r.Bare.PerSecond), "F2", 0.4);
        foreach (var n in lockCounts)
            SummaryRow($"lock round trips/s, {n:N0} devices", runs.Select(r => r.RoundTrips[n].PerSecond), "N0", 3_000);
    }

    private static void SummaryRow(string measure, IEnumerable<double> values, string format, double? target)
    {
        var sorted = values.Order().ToList();
        var median = sorted[sorted.Count / 2];
        string F(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        Console.WriteLine($"| {measure} | {F(median)} | {F(sorted[0])} | {F(sorted[^1])} | " +
                          (target is { } t ? $"≥ {F(t)} | {(median >= t ? "yes" : "no")}" : "– | –") + " |");
    }

    private static string Describe(HttpStatusCode? status, byte[] answer, string? error) => status is { } code
        ? $"{(int)code} {code}, {answer.Length} bytes{(answer.Length is > 0 and <= 300 ? ": " + Encoding.UTF8.GetString(answer) : "")}"
        : $"no answer: {error}";

    private static void Keep(ConcurrentQueue<string> lines, string line)
    {
        lines.Enqueue(line);
        while (lines.Count > 40) lines.TryDequeue(out _);
    }

    private static string Seconds(TimeSpan time) => HttpBulkScenario.Seconds(time);

    private sealed record AppleRun(Sample Bare, Sample Idle, IReadOnlyDictionary<int, Sample> RoundTrips);

    // Completed requests (or round trips), the clock and both processes' CPU time at one moment.
    internal sealed record Meter(long Completed, long Timestamp, TimeSpan ClientCpu, TimeSpan ServerCpu)
    {
        public static Meter Read(long completed, Process server)
        {
            server.Refresh();
            using var self = Process.GetCurrentProcess();
            return new Meter(completed, Stopwatch.GetTimestamp(), self.TotalProcessorTime, server.TotalProcessorTime);
        }
    }

    internal sealed record Sample(long Requests, TimeSpan Elapsed, long Checked, long Failures, string? FirstFailure, TimeSpan ClientCpu,
        TimeSpan ServerCpu, TimeSpan Signing)
    {
        /// <summary>Acknowledged reports the load generator had to sign inside the timed window (not signed ahead).</summary>
        public long SignedInWindow { get; init; }

        public double PerSecond => Requests / Elapsed.TotalSeconds;

        public double ClientCores => ClientCpu / Elapsed;

        public double ServerCores => ServerCpu / Elapsed;

        public double ClientCpuPerRequest => ClientCpu.TotalMicroseconds / Math.Max(1, Requests);

        public double ServerCpuPerRequest => ServerCpu.TotalMicroseconds / Math.Max(1, Requests);

        public static Sample Between(Meter before, Meter after, long answered, long failures, string? firstFailure, TimeSpan signing) =>
            new(after.Completed - before.Completed, Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp), answered, failures, firstFailure,
                after.ClientCpu - before.ClientCpu, after.ServerCpu - before.ServerCpu, signing);
    }
}

/// <summary>An enrolled simulated iPhone, with the signed profile it was enrolled with.</summary>
internal sealed class BenchDevice(SimulatedAppleDevice device, byte[] profile)
{
    public SimulatedAppleDevice Device { get; } = device;

    public byte[] Profile { get; } = profile;

    // The device's Idle report and its Mdm-Signature, signed once: an identical Idle may be sent again.
    public SignedBody Idle { get; } = SignedBody.Of(device, device.CreateIdleReport());

    // Its Acknowledged for the DeviceLock queued for it, signed ahead (see AppleMdmScenario.PreSignAcknowledged); used once.
    public (string CommandUuid, SignedBody Report)? Acknowledged { get; set; }

    // The server's id for the device (from the admin API).
    public Guid Id { get; set; }
}

/// <summary>A request body and its <c>Mdm-Signature</c>.</summary>
internal sealed record SignedBody(byte[] Body, string Signature)
{
    public static SignedBody Of(SimulatedAppleDevice device, byte[] body) => new(body, device.CreateSignature(body));
}
