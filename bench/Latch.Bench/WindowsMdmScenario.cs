using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Latch.Devices.Windows;
using Latch.Protocols.Windows;
using Microsoft.Data.Sqlite;
using static Latch.Bench.AppleMdmScenario;

// The load client talks to its own server processes on loopback: it does not check their TLS certificates (the simulated
// devices checked nothing at enrolment either), so the timed windows hold no chain building.
#pragma warning disable CA5359

namespace Latch.Bench;

internal sealed record WindowsBenchSettings(
    string ServerDll, IReadOnlyList<int> Counts, int Runs, int Concurrency, TimeSpan WarmUp, TimeSpan Duration, int EnrolParallelism);

/// <summary>
/// Windows MDM device traffic against the built server (its own process, SQLite, the device port over TLS on loopback):
/// N simulated Windows 10 Mobile devices with ECDSA keys are enrolled once through MS-MDE2 (setup, not timed), then each
/// of <c>--runs</c> measures, for each device count, (a) the bare-Kestrel TLS ceiling, (b) idle management sessions per
/// second (package 1 → a Status-only answer), and then (c) remote-lock round trips (package 1 → Exec Lock → package 2
/// with Status 200 → a Status-only answer). A TLS client certificate belongs to a connection, and the certificate is the
/// device: every device has its own HttpClient with one keep-alive connection (opened by an untimed pass over the
/// devices), and <c>--concurrency</c> workers take the devices in turn. Idle sessions must write nothing (the database's
/// <c>PRAGMA data_version</c> is read around them); the killed server's SQLite file must hold every lock as done.
/// </summary>
internal static class WindowsMdmScenario
{
    private const string Token = "latch-bench-windows-token-012345"; // LATCH_Auth__BootstrapToken: 32 characters
    private const string LockUri = "./Vendor/MSFT/RemoteLock/Lock";
    private const int WarmUpDevices = 1_000;
    private static readonly TimeSpan WarmUpTraffic = TimeSpan.FromSeconds(8);
    private static readonly string[] Users = ["ada.lovelace", "grace.hopper", "alan.turing", "katherine.johnson", "margaret.hamilton"];
    private static readonly byte[] StatusOnlyEnd = "</Status><Final/>"u8.ToArray(); // the server appends its commands after its Statuses

    public static async Task RunAsync(WindowsBenchSettings settings)
    {
        var counts = settings.Counts.Distinct().Order().ToList();
        Console.WriteLine($"Latch Windows MDM benchmark (SQLite, SyncML over TLS with client certificates), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, " +
                          $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {LoadAverage()}");
        Console.WriteLine($"Client: one HttpClient per device (its certificate, one keep-alive HTTP/1.1 connection, opened before the window), " +
                          $"{settings.Concurrency} workers with one request in flight each taking the devices in turn; rates over " +
                          $"{settings.Duration.TotalSeconds:0} s after {settings.WarmUp.TotalSeconds:0} s of warm-up. Client and server share the machine's cores.");
        Console.WriteLine($"Devices: {counts[^1]:N0} Windows 10 Mobile devices (ECDSA P-256 keys) enrolled once through MS-MDE2 " +
                          $"({settings.EnrolParallelism} at a time), then {settings.Runs} runs: bare Kestrel (TLS) and idle sessions, then lock round trips, for " +
                          string.Join(" and ", counts.Select(n => n.ToString("N0", CultureInfo.InvariantCulture))) + " of them.");
        Console.WriteLine();

        var dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"latch-bench-windows-{Guid.NewGuid():N}")).FullName;
        var databasePath = Path.Combine(dataDirectory, "latch.db");
        var serverOutput = new ConcurrentQueue<string>();
        var port = HttpBulkScenario.FreePort();
        var devicePort = HttpBulkScenario.FreePort();
        var server = HttpBulkScenario.Start(settings.ServerDll, dataDirectory, port, new Dictionary<string, string>
        {
            ["LATCH_Demo"] = "true",
            ["LATCH_SimulatedDevices"] = "false",
            ["LATCH_Auth__BootstrapToken"] = Token,
            ["LATCH_Windows__DevicePort"] = devicePort.ToString(CultureInfo.InvariantCulture),
        }, line => Keep(serverOutput, line));
        var devices = new List<WindowsBenchDevice>();
        try
        {
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(5) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            await HttpBulkScenario.WaitHealthyAsync(admin, server);

            var watch = Stopwatch.StartNew();
            devices = await EnrolAsync(admin, new Uri($"https://127.0.0.1:{devicePort}/"), counts[^1], settings.EnrolParallelism);
            var enrolment = watch.Elapsed;
            Console.WriteLine($"Setup: {devices.Count:N0} devices enrolled in {Seconds(enrolment)} ({devices.Count / enrolment.TotalSeconds:N0}/s; " +
                              "an enrolment code from the admin API, Discovery GET and POST, GetPolicies, RequestSecurityToken, one session)");
            AssignIds(databasePath, devices);

            // Remote locks of the same devices again and again, not timed, so the timed runs measure compiled code.
            var warmUp = devices.TakeLast(Math.Min(WarmUpDevices, devices.Count)).ToList();
            var locks = new List<(int Devices, Guid RequestId)>();
            var samples = new List<Sample>();
            var warming = Stopwatch.StartNew();
            while (warming.Elapsed < WarmUpTraffic)
            {
                var request = await QueueLockAsync(admin, warmUp);
                samples.Add(await EachOnceAsync(warmUp, server, settings.Concurrency, d => LockRoundTripAsync(d, d.Device.ManagementUrl!)));
                locks.Add((warmUp.Count, request.RequestId));
            }
            Console.WriteLine($"Warm-up: {locks.Count} × {warmUp.Count:N0} lock round trips in {Seconds(warming.Elapsed)} (not timed), " +
                              $"{samples.Sum(s => s.Failures)} failures");

            var runs = new List<WindowsRun>();
            for (var run = 1; run <= settings.Runs; run++)
            {
                Console.WriteLine();
                Console.WriteLine($"Run {run} of {settings.Runs} (load average {LoadAverage()})");
                var bare = new Dictionary<int, Sample>();
                var idle = new Dictionary<int, Sample>();
                var roundTrips = new Dictionary<int, Sample>();
                foreach (var count in counts)
                {
                    var some = devices.Take(count).ToList();
                    bare[count] = await BareKestrelAsync(some, settings);
                    some.ForEach(d => d.DropConnections()); // the bare server's connections, so that Latch's fit under the descriptor limit
                    Report($"bare Kestrel over TLS (separate process), {count:N0} devices", bare[count], "request");

                    var (sample, written) = await IdleAsync(databasePath, some, server, settings);
                    idle[count] = sample;
                    Report($"Latch, idle sessions, {count:N0} devices", sample, "session");
                    Console.WriteLine($"    ratio to bare Kestrel: {sample.PerSecond / bare[count].PerSecond:F2}; written meanwhile: {written}");
                }
                foreach (var count in counts)
                {
                    var some = devices.Take(count).ToList();
                    // Each device's connection used once more (an idle session, not timed) before its lock is queued.
                    var touched = await EachOnceAsync(some, server, settings.Concurrency, d => IdleSessionAsync(d, d.Device.ManagementUrl!, strict: true));
                    var queued = await QueueLockAsync(admin, some);
                    var sample = await EachOnceAsync(some, server, settings.Concurrency, d => LockRoundTripAsync(d, d.Device.ManagementUrl!));
                    Report($"lock round trips, {count:N0} devices (queued in {Seconds(queued.Took)}, not timed)", sample, "round trip");
                    roundTrips[count] = sample;
                    locks.Add((count, queued.RequestId));
                    samples.Add(touched);
                }
                samples.AddRange([.. bare.Values, .. idle.Values, .. roundTrips.Values]);
                runs.Add(new WindowsRun(bare, idle, roundTrips));
            }

            // Durability and correctness: the server is killed (no graceful shutdown), then its SQLite file is read.
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            var failed = samples.Where(s => s.Failures > 0).ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException($"{failed.Sum(s => s.Failures)} requests failed; the first: {failed[0].FirstFailure}");
            Console.WriteLine();
            await VerifyAsync(databasePath, locks);
            PrintSummary(settings, counts, enrolment, runs);
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
            devices.ForEach(d => d.Dispose());
            SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    // A code for the demo users in turn, then MS-MDE2 enrolment and the first session (which answers the server's queries).
    private static async Task<List<WindowsBenchDevice>> EnrolAsync(HttpClient admin, Uri devicePort, int count, int parallelism)
    {
        var devices = new WindowsBenchDevice[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (i, cancellationToken) =>
            {
                var user = $"{Users[i % Users.Length]}@demo.latch.example";
                using var response = await admin.PostAsJsonAsync("/v1.0/latch/enrollmentCodes", new { user }, cancellationToken);
                var json = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"enrollmentCodes answered {response.StatusCode}: {json}");
                var code = JsonDocument.Parse(json).RootElement.GetProperty("code").GetString()!;
                var device = new SimulatedWindowsDevice(devicePort, user, code,
                    new SimulatedWindowsDeviceOptions { EcdsaKey = true, DeviceName = $"Simulated bench Windows {i}" });
                try
                {
                    await device.EnrollAsync(cancellationToken);
                    var first = await device.RunSessionAsync(cancellationToken: cancellationToken);
                    if (!first.Completed) throw new InvalidOperationException($"{device.DeviceName}: the first session did not end well: {first.Error}");
                }
                catch
                {
                    device.Dispose();
                    throw;
                }
                devices[i] = new WindowsBenchDevice(device);
            });
        return [.. devices];
    }

    // The devices' ids, from the server's database file (read-only, beside the running server).
    private static void AssignIds(string databasePath, List<WindowsBenchDevice> devices)
    {
        var byIdentifier = devices.ToDictionary(d => d.Device.DeviceId);
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"DeviceIdentifier\", \"DeviceId\" FROM \"WindowsEnrollments\" WHERE \"DeviceId\" IS NOT NULL";
        using var reader = command.ExecuteReader();
        while (reader.Read())
            if (byIdentifier.TryGetValue(reader.GetString(0), out var device)) device.Id = reader.GetGuid(1);
        if (devices.Count(d => d.Id == Guid.Empty) is var missing and > 0)
            throw new InvalidOperationException($"{missing} enrolled devices have no enrolment with a device in the database.");
    }

    private static async Task<Sample> BareKestrelAsync(List<WindowsBenchDevice> devices, WindowsBenchSettings settings)
    {
        var port = HttpBulkScenario.FreePort();
        var start = new ProcessStartInfo("dotnet", [typeof(WindowsMdmScenario).Assembly.Location, "--bare-kestrel-tls", "--port", port.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bare = Process.Start(start)!;
        bare.OutputDataReceived += (_, _) => { };
        bare.ErrorDataReceived += (_, _) => { };
        bare.BeginOutputReadLine();
        bare.BeginErrorReadLine();
        try
        {
            using var probe = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            }) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") };
            await HttpBulkScenario.WaitHealthyAsync(probe, bare);
            var url = new Uri($"https://127.0.0.1:{port}{BareKestrel.WindowsPath}");
            await EachOnceAsync(devices, bare, settings.Concurrency, d => IdleSessionAsync(d, url, strict: false)); // connections opened
            return await LoadAsync(devices, bare, settings, d => IdleSessionAsync(d, url, strict: false));
        }
        finally
        {
            bare.Kill(entireProcessTree: true);
            await bare.WaitForExitAsync();
        }
    }

    // Idle sessions, each device's connection opened first (one session each, not timed), and what they wrote: a session
    // that finds nothing to do writes nothing itself; only the devices' last check-in times are written, batched, every
    // 10 s (CheckInRecorder). So every table's content must be the same before and after, LastCheckInAt aside.
    private static async Task<(Sample Sample, string Written)> IdleAsync(string databasePath, List<WindowsBenchDevice> devices, Process server,
        WindowsBenchSettings settings)
    {
        using var watcher = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        watcher.Open();
        var (version, before) = (DataVersion(watcher), Contents(watcher));
        await EachOnceAsync(devices, server, settings.Concurrency, d => IdleSessionAsync(d, d.Device.ManagementUrl!, strict: true));
        var sample = await LoadAsync(devices, server, settings, d => IdleSessionAsync(d, d.Device.ManagementUrl!, strict: false));
        await Task.Delay(CheckInFlushWait); // the last check-ins of the window written, so they are seen below
        var (versionAfter, after) = (DataVersion(watcher), Contents(watcher));
        var changed = before.Keys.Union(after.Keys).Where(t => !before.TryGetValue(t, out var b) || !after.TryGetValue(t, out var a) || a.Hash != b.Hash).ToList();
        var checkIns = after.TryGetValue("Devices", out var d) && before.TryGetValue("Devices", out var e) ? CountMoved(e.CheckIns, d.CheckIns) : 0;
        var written = changed.Count == 0
            ? $"no row added, removed or changed in any table but Devices.LastCheckInAt ({checkIns:N0} devices' last check-in moved, " +
              $"PRAGMA data_version {version} → {versionAfter}: the batched last-check-in writes)"
            : $"CHANGED: {string.Join(", ", changed.Select(t => $"{t} ({(before.TryGetValue(t, out var b) ? b.Rows : 0):N0} → {(after.TryGetValue(t, out var a) ? a.Rows : 0):N0} rows)"))}";
        if (changed.Count > 0)
            sample = sample with { Failures = sample.Failures + 1, FirstFailure = sample.FirstFailure ?? $"idle sessions wrote to the database: {written}" };
        return (sample, written);

        static long DataVersion(SqliteConnection connection)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA data_version";
            return (long)command.ExecuteScalar()!;
        }

        static int CountMoved(Dictionary<string, string> before, Dictionary<string, string> after) =>
            after.Count(pair => !before.TryGetValue(pair.Key, out var at) || at != pair.Value);
    }

    private static readonly TimeSpan CheckInFlushWait = TimeSpan.FromSeconds(11);

    // Every table's rows and a hash of their values, read in one read transaction; Devices.LastCheckInAt apart, by device.
    private static Dictionary<string, (long Rows, ulong Hash, Dictionary<string, string> CheckIns)> Contents(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: true);
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
            using var reader = list.ExecuteReader();
            while (reader.Read()) tables.Add(reader.GetString(0));
        }
        var contents = new Dictionary<string, (long, ulong, Dictionary<string, string>)>();
        foreach (var table in tables)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            if (table == "__EFMigrationsHistory") command.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = command.ExecuteReader();
            var checkInColumn = table == "Devices" ? reader.GetOrdinal("LastCheckInAt") : -1;
            var idColumn = table == "Devices" ? reader.GetOrdinal("Id") : -1;
            var checkIns = new Dictionary<string, string>();
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            long rows = 0;
            while (reader.Read())
            {
                rows++;
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.IsDBNull(i) ? "\u0000" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
                    if (i == checkInColumn) checkIns[reader.GetValue(idColumn).ToString()!] = value;
                    else hash.AppendData(Encoding.UTF8.GetBytes(value + "\u0001"));
                }
            }
            contents[table] = (rows, BitConverter.ToUInt64(hash.GetHashAndReset()), checkIns);
        }
        return contents;
    }

    // The workers send sessions, the devices in turn, through the warm-up and the measured window.
    private static async Task<Sample> LoadAsync(List<WindowsBenchDevice> devices, Process target, WindowsBenchSettings settings,
        Func<WindowsBenchDevice, Task<string?>> session)
    {
        long ok = 0, failed = 0, next = -1;
        var stop = 0;
        string? firstFailure = null;
        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                var problem = await session(devices[(int)(Interlocked.Increment(ref next) % devices.Count)]);
                if (problem is null) Interlocked.Increment(ref ok);
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, problem, null);
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

    // Each device once, timed from the first to the last.
    private static async Task<Sample> EachOnceAsync(List<WindowsBenchDevice> devices, Process target, int concurrency,
        Func<WindowsBenchDevice, Task<string?>> session)
    {
        long ok = 0, failed = 0, next = -1;
        string? firstFailure = null;
        var before = Meter.Read(0, target);
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long index;
            while ((index = Interlocked.Increment(ref next)) < devices.Count)
            {
                var problem = await session(devices[(int)index]);
                if (problem is null) Interlocked.Increment(ref ok);
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, problem, null);
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        var after = Meter.Read(ok, target);
        return Sample.Between(before, after, ok + failed, failed, firstFailure, TimeSpan.Zero);
    }

    // Package 1 → a Status-only answer. Strict: the answer decoded, its SessionID and every command checked; otherwise the
    // status code and that the answer's last command is a Status (what the server would add comes after its Statuses).
    private static async Task<string?> IdleSessionAsync(WindowsBenchDevice device, Uri url, bool strict)
    {
        var (sessionId, body) = device.NextPackage1();
        var (status, answer, error) = await PostAsync(device, url, body);
        if (status != HttpStatusCode.OK || answer.AsSpan().IndexOf(StatusOnlyEnd) < 0)
            return $"package 1 of {device.Device.DeviceName}: {Describe(status, answer, error)}";
        if (!strict) return null;
        try
        {
            var message = SyncMessage.Decode(answer);
            if (message.Header.SessionId != sessionId) return $"package 1 of {device.Device.DeviceName}: answered for session {message.Header.SessionId}, not {sessionId}";
            if (message.Commands.FirstOrDefault(c => c is not SyncStatus) is { } command)
                return $"package 1 of {device.Device.DeviceName}: the server sent {command.Name} with nothing queued";
            return message.Commands.Count == 4 ? null : $"package 1 of {device.Device.DeviceName}: {message.Commands.Count} Statuses, not 4";
        }
        catch (SyncMlFormatException exception)
        {
            return $"package 1 of {device.Device.DeviceName}: the answer is not SyncML: {exception.Message}";
        }
    }

    // Package 1 → Exec Lock → package 2 with its Status 200 → a Status-only answer (the session is over).
    private static async Task<string?> LockRoundTripAsync(WindowsBenchDevice device, Uri url)
    {
        var (sessionId, body) = device.NextPackage1();
        var (status, answer, error) = await PostAsync(device, url, body);
        if (status != HttpStatusCode.OK) return $"package 1 of {device.Device.DeviceName}: {Describe(status, answer, error)}";
        SyncMessage message;
        try
        {
            message = SyncMessage.Decode(answer);
        }
        catch (SyncMlFormatException exception)
        {
            return $"package 1 of {device.Device.DeviceName}: the answer is not SyncML: {exception.Message}";
        }
        if (message.Commands.OfType<SyncExec>().FirstOrDefault(e => e.Items is [{ Target: LockUri or "./Device/Vendor/MSFT/RemoteLock/Lock" }]) is not { } exec)
            return $"package 1 of {device.Device.DeviceName}: no Exec {LockUri} in the answer ({string.Join(", ", message.Commands.Select(c => c.Name))})";

        var package2 = new SyncMessage
        {
            Header = device.Device.HeaderFor(sessionId, 2),
            Commands =
            [
                new SyncStatus { CmdId = "1", MsgRef = message.Header.MsgId, CmdRef = "0", Cmd = "SyncHdr", Data = "200" },
                new SyncStatus { CmdId = "2", MsgRef = message.Header.MsgId, CmdRef = exec.CmdId, Cmd = exec.Name, Data = "200" },
            ],
            Final = true,
        }.Encode();
        (status, answer, error) = await PostAsync(device, url, package2);
        return status == HttpStatusCode.OK && answer.AsSpan().IndexOf(StatusOnlyEnd) >= 0
            ? null
            : $"package 2 of {device.Device.DeviceName}: {Describe(status, answer, error)}";
    }

    private static async Task<(HttpStatusCode? Status, byte[] Answer, string? Error)> PostAsync(WindowsBenchDevice device, Uri url, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(SyncMessage.ContentType);
        try
        {
            using var response = await device.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), null);
        }
        catch (HttpRequestException exception)
        {
            return (null, [], exception.Message);
        }
    }

    private static async Task<(Guid RequestId, TimeSpan Took)> QueueLockAsync(HttpClient admin, List<WindowsBenchDevice> devices)
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
            throw new InvalidOperationException($"executeAction queued {queued - alreadyPending} of {devices.Count} locks ({alreadyPending} already pending): {json[..Math.Min(json.Length, 400)]}");
        return (Guid.Parse(answer.RootElement.GetProperty("requestId").GetString()!), took);
    }

    private static void PrintSummary(WindowsBenchSettings settings, IReadOnlyList<int> counts, TimeSpan enrolment, List<WindowsRun> runs)
    {
        Console.WriteLine();
        Console.WriteLine("Per run:");
        Console.WriteLine();
        Console.WriteLine("| run | " + string.Join(" | ", counts.Select(n => $"bare TLS req/s, {n:N0} | idle sessions/s, {n:N0} | idle / bare, {n:N0}")) + " | " +
                          string.Join(" | ", counts.Select(n => $"lock round trips/s, {n:N0}")) + " |");
        Console.WriteLine("|---:|" + string.Concat(counts.Select(_ => "---:|---:|---:|")) + string.Concat(counts.Select(_ => "---:|")));
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            Console.WriteLine($"| {i + 1} | " + string.Join(" | ", counts.Select(n => string.Create(CultureInfo.InvariantCulture,
                $"{run.Bare[n].PerSecond:N0} | {run.Idle[n].PerSecond:N0} | {run.Idle[n].PerSecond / run.Bare[n].PerSecond:F2}"))) + " | " +
                string.Join(" | ", counts.Select(n => run.RoundTrips[n].PerSecond.ToString("N0", CultureInfo.InvariantCulture))) + " |");
        }

        Console.WriteLine();
        Console.WriteLine($"Summary: {runs.Count} runs, {settings.Concurrency} workers, client and server on the same {Environment.ProcessorCount} cores; " +
                          $"SQLite, answers after fsync; setup (not timed): {counts[^1]:N0} devices enrolled in {Seconds(enrolment)}.");
        Console.WriteLine();
        Console.WriteLine("| measure | median | min | max |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var n in counts)
        {
            SummaryRow($"bare Kestrel over TLS, req/s, {n:N0} devices", runs.Select(r => r.Bare[n].PerSecond), "N0");
            SummaryRow($"idle sessions/s, {n:N0} devices", runs.Select(r => r.Idle[n].PerSecond), "N0");
            SummaryRow($"idle / bare (same run), {n:N0} devices", runs.Select(r => r.Idle[n].PerSecond / r.Bare[n].PerSecond), "F2");
        }
        foreach (var n in counts)
            SummaryRow($"lock round trips/s, {n:N0} devices", runs.Select(r => r.RoundTrips[n].PerSecond), "N0");
        foreach (var n in counts)
            SummaryRow($"server CPU per idle session, µs, {n:N0} devices", runs.Select(r => r.Idle[n].ServerCpuPerRequest), "N0");
        foreach (var n in counts)
            SummaryRow($"server CPU per bare request, µs, {n:N0} devices", runs.Select(r => r.Bare[n].ServerCpuPerRequest), "N0");
    }

    private static void SummaryRow(string measure, IEnumerable<double> values, string format)
    {
        var sorted = values.Order().ToList();
        string F(double value) => value.ToString(format, CultureInfo.InvariantCulture);
        Console.WriteLine($"| {measure} | {F(sorted[sorted.Count / 2])} | {F(sorted[0])} | {F(sorted[^1])} |");
    }

    private static string Describe(HttpStatusCode? status, byte[] answer, string? error) => status is { } code
        ? $"{(int)code} {code}, {answer.Length} bytes{(answer.Length is > 0 and <= 600 ? ": " + Encoding.UTF8.GetString(answer) : "")}"
        : $"no answer: {error}";

    private static void Keep(ConcurrentQueue<string> lines, string line)
    {
        lines.Enqueue(line);
        while (lines.Count > 40) lines.TryDequeue(out _);
    }

    private static string Seconds(TimeSpan time) => HttpBulkScenario.Seconds(time);

    private sealed record WindowsRun(IReadOnlyDictionary<int, Sample> Bare, IReadOnlyDictionary<int, Sample> Idle, IReadOnlyDictionary<int, Sample> RoundTrips);
}

/// <summary>
/// An enrolled simulated Windows device as the load client uses it: its own HttpClient presenting its certificate (a TLS
/// client certificate is the connection's, so one connection per device), and its package 1 encoded once, with room for
/// the SessionID that changes per session.
/// </summary>
internal sealed class WindowsBenchDevice : IDisposable
{
    private const string SessionIdPlaceholder = "00000000";
    private readonly byte[] _package1;
    private readonly int _sessionIdAt;
    private int _sessions = 0x10000000; // 8 hex digits, apart from the simulator's own 1, 2, ...

    public WindowsBenchDevice(SimulatedWindowsDevice device)
    {
        Device = device;
        _package1 = device.CreatePackage1(SessionIdPlaceholder).Encode();
        _sessionIdAt = _package1.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"<SessionID>{SessionIdPlaceholder}</SessionID>")) + "<SessionID>".Length;
        if (_sessionIdAt < "<SessionID>".Length) throw new InvalidOperationException("Package 1 has no SessionID element.");
        Http = NewClient(device.Certificate ?? throw new InvalidOperationException("The device is not enrolled."));
        device.DropConnections(); // the simulator's own connection from enrolling: this process may hold 20,000 descriptors in all
    }

    // One keep-alive connection per server this device talks to (bare Kestrel, Latch).
    private static HttpClient NewClient(X509Certificate2 certificate) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };

    public SimulatedWindowsDevice Device { get; }

    public HttpClient Http { get; private set; }

    /// <summary>Closes this device's connections (to a bare Kestrel that was measured and stopped): the next request opens a new one.</summary>
    public void DropConnections()
    {
        Http.Dispose();
        Http = NewClient(Device.Certificate!);
    }

    /// <summary>The server's id for the device (from its database file).</summary>
    public Guid Id { get; set; }

    /// <summary>A new session's id and its package 1 (a copy of the encoded one with that id written in).</summary>
    public (string SessionId, byte[] Body) NextPackage1()
    {
        var session = (uint)Interlocked.Increment(ref _sessions);
        var body = (byte[])_package1.Clone();
        session.TryFormat(body.AsSpan(_sessionIdAt, SessionIdPlaceholder.Length), out _, "X8", CultureInfo.InvariantCulture);
        return (session.ToString("X8", CultureInfo.InvariantCulture), body);
    }

    public void Dispose()
    {
        Http.Dispose();
        Device.Dispose();
    }
}
