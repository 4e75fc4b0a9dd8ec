using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Latch.Bench;
using Latch.Core;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Rules;
using Microsoft.Extensions.DependencyInjection;

// The bare-Kestrel ceiling of the Apple MDM benchmark, started by it as a process of its own.
if (args.Contains("--bare-kestrel"))
{
    await BareKestrel.RunAsync(args.Where(a => a != "--bare-kestrel").ToArray());
    return;
}

// The bare-Kestrel TLS ceiling of the Windows MDM benchmark, started by it as a process of its own.
if (args.Contains("--bare-kestrel-tls"))
{
    await BareKestrel.RunTlsAsync(Option("--port", 5443));
    return;
}

// Windows MDM device traffic against the built server (dotnet build -c Release src/Latch.Server first). Usage (see BENCHMARKS.md):
//   dotnet run -c Release --project bench/Latch.Bench -- --windows [--devices 1000,10000] [--runs 2] [--concurrency 64]
//       [--warm-up 2] [--duration 10] [--enrol-parallelism 8]
if (args.Contains("--windows"))
{
    var serverDll = OptionText("--server-dll") ?? Path.GetFullPath(Path.Combine("src", "Latch.Server", "bin", "Release", "net10.0", "Latch.Server.dll"));
    if (!File.Exists(serverDll)) throw new FileNotFoundException($"Build the server first: dotnet build -c Release src/Latch.Server ({serverDll} is missing).");
    var counts = (OptionText("--devices") ?? "1000,10000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList();
    await WindowsMdmScenario.RunAsync(new WindowsBenchSettings(serverDll, counts, Option("--runs", 2), Option("--concurrency", 64),
        TimeSpan.FromSeconds(Option("--warm-up", 2)), TimeSpan.FromSeconds(Option("--duration", 10)), Option("--enrol-parallelism", 8)));
    return;
}

// The server's own steps of an idle Windows session, in process (see BENCHMARKS.md). Usage: ... -- --windows-costs [--iterations 100000]
if (args.Contains("--windows-costs"))
{
    WindowsSessionCosts.Run(Option("--iterations", 100_000));
    return;
}

// Apple MDM device traffic against the built server (dotnet build -c Release src/Latch.Server first). Usage (see BENCHMARKS.md):
//   dotnet run -c Release --project bench/Latch.Bench -- --apple [--devices 1000,10000] [--runs 3] [--concurrency 64]
//       [--warm-up 2] [--duration 10] [--enrol-parallelism 8] [--no-breakdown] [--snapshot DIR] [--device-key EcdsaP256|Rsa2048]
if (args.Contains("--apple"))
{
    var serverDll = OptionText("--server-dll") ?? Path.GetFullPath(Path.Combine("src", "Latch.Server", "bin", "Release", "net10.0", "Latch.Server.dll"));
    if (!File.Exists(serverDll)) throw new FileNotFoundException($"Build the server first: dotnet build -c Release src/Latch.Server ({serverDll} is missing).");
    var lockCounts = (OptionText("--devices") ?? "1000,10000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList();
    await AppleMdmScenario.RunAsync(new AppleBenchSettings(serverDll, lockCounts, Option("--runs", 3), Option("--concurrency", 64),
        TimeSpan.FromSeconds(Option("--warm-up", 2)), TimeSpan.FromSeconds(Option("--duration", 10)), Option("--enrol-parallelism", 8),
        Breakdown: !args.Contains("--no-breakdown"), Snapshot: OptionText("--snapshot") is { } snapshot ? Path.GetFullPath(snapshot) : null,
        DeviceKey: OptionText("--device-key") ?? "EcdsaP256"));
    return;
}

// The SQLite statements of a lock round trip alone, on a copy of an enrolled fleet (see BENCHMARKS.md). Usage:
//   dotnet run -c Release --project bench/Latch.Bench -- --storage-floor --snapshot DIR [--devices 10000] [--batches 16,64] [--runs 3]
if (args.Contains("--storage-floor"))
{
    AppleStorageFloor.Run(OptionText("--snapshot") ?? throw new ArgumentException("--storage-floor needs --snapshot DIR (an enrolled fleet)."),
        Option("--devices", 10_000), (OptionText("--batches") ?? "16,64").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList(),
        Option("--runs", 3));
    return;
}

// Bulk remote lock of N devices (action records + queued commands, committed) against one-by-one requests,
// on SQLite and PostgreSQL, each run on a fresh database. Usage (see BENCHMARKS.md):
//   dotnet run -c Release --project bench/Latch.Bench -- [--devices 100000] [--runs 5] [--one-by-one 2000]
//       [--sqlite] [--postgres "Host=...;Username=..."]   (default: SQLite, plus PostgreSQL when LATCH_BENCH_POSTGRES is set)
//   ... -- --console [--devices 100000] [--baseline 1000] [--runs 20]   the console's device list page query
var devices = Option("--devices", 100_000);
var runs = Option("--runs", 5);
var oneByOne = Option("--one-by-one", 2_000);
var postgres = OptionText("--postgres") ?? Environment.GetEnvironmentVariable("LATCH_BENCH_POSTGRES");
var onlyPostgres = args.Contains("--postgres") && !args.Contains("--sqlite");

// The console's device list: one page of 100 rows over N devices, against a 1,000-device baseline (see BENCHMARKS.md).
if (args.Contains("--console"))
{
    await ConsoleListScenario.RunAsync(devices, Option("--baseline", 1_000), Option("--runs", 20));
    return;
}

// The admin API over HTTP against the built server (dotnet build -c Release src/Latch.Server first).
if (args.Contains("--http"))
{
    var serverDll = OptionText("--server-dll") ?? Path.GetFullPath(Path.Combine("src", "Latch.Server", "bin", "Release", "net10.0", "Latch.Server.dll"));
    if (!File.Exists(serverDll)) throw new FileNotFoundException($"Build the server first: dotnet build -c Release src/Latch.Server ({serverDll} is missing).");
    Console.WriteLine($"Latch admin API bulk benchmark (SQLite), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
    Console.WriteLine();
    Console.WriteLine("| scenario | devices | runs | median | min | max |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|");
    foreach (var scenario in (await HttpBulkScenario.RunAsync(serverDll, devices, runs)).GroupBy(r => r.Scenario))
    {
        var times = scenario.Select(r => r.Time).Order().ToList();
        Console.WriteLine($"| {scenario.Key} | {devices:N0} | {times.Count} | {HttpBulkScenario.Seconds(times[times.Count / 2])} | " +
                          $"{HttpBulkScenario.Seconds(times[0])} | {HttpBulkScenario.Seconds(times[^1])} |");
    }
    return;
}

var backends = new List<(string Name, Func<Task<BenchDatabase>> Create)>();
if (!onlyPostgres) backends.Add(("SQLite", () => BenchDatabase.SqliteAsync()));
if (postgres is not null) backends.Add(("PostgreSQL", () => BenchDatabase.PostgresAsync(postgres)));

Console.WriteLine($"Latch bulk remote lock benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, " +
                  $"{RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
Console.WriteLine();
Console.WriteLine("| database | scenario | devices | runs | median | min | max | devices/s |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");

// Phase timings come from Core's own trace activities, as an operator's OpenTelemetry exporter would see them.
var phases = new Dictionary<string, List<TimeSpan>>();
var recording = false;
using var listener = new ActivityListener
{
    ShouldListenTo = source => source.Name == LatchTelemetry.SourceName,
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
    ActivityStopped = activity =>
    {
        if (!recording || activity.Parent is null) return;
        lock (phases)
        {
            if (!phases.TryGetValue(activity.DisplayName, out var list)) phases[activity.DisplayName] = list = [];
            list.Add(activity.Duration);
        }
    },
};
ActivitySource.AddActivityListener(listener);
var breakdown = new List<string>();
string[] Phases = ["load devices", "evaluate rules", "write actions", "enqueue commands", "commit"];

var versions = new List<string>();
foreach (var (name, create) in backends)
{
    var bulk = new List<TimeSpan>();
    phases.Clear();
    for (var run = 0; run < runs; run++)
    {
        await using var database = await create();
        if (run == 0) versions.Add(await database.ServerVersionAsync());
        var ids = await Fleet.SeedAsync(database, devices);
        recording = true;
        var watch = Stopwatch.StartNew();
        var outcome = await database.WithAsync<DeviceActions, BulkActionOutcome>(actions =>
            actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, ids, "bench@latch")));
        bulk.Add(watch.Elapsed);
        recording = false;
        if (outcome.Queued.Count + outcome.NotSupported.Count != devices)
            throw new InvalidOperationException($"Expected {devices} outcomes, got {outcome.Queued.Count + outcome.NotSupported.Count}.");
    }
    Row(name, "one bulk request", devices, bulk);
    lock (phases)
        breakdown.Add($"| {name} | " + string.Join(" | ", Phases
            .Select(p => phases.TryGetValue(p, out var times) ? Seconds(times.Order().ElementAt(times.Count / 2)) : "-")) + " |");

    await using (var database = await create())
    {
        var ids = await Fleet.SeedAsync(database, oneByOne);
        var watch = Stopwatch.StartNew();
        foreach (var id in ids)
            await database.WithAsync<DeviceActions, BulkActionOutcome>(actions =>
                actions.RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, [id], "bench@latch")));
        Row(name, "one request per device (baseline)", oneByOne, [watch.Elapsed]);
    }
}

Console.WriteLine();
Console.WriteLine("Where a bulk request's time goes (median of the runs, from Core's trace activities):");
Console.WriteLine();
Console.WriteLine("| database | load devices | evaluate rules | write actions | enqueue commands | commit |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var line in breakdown) Console.WriteLine(line);
Console.WriteLine();
foreach (var version in versions) Console.WriteLine($"Database: {version}");
return;

void Row(string database, string scenario, int count, List<TimeSpan> times)
{
    var sorted = times.Order().ToList();
    var median = sorted[sorted.Count / 2];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {database} | {scenario} | {count:N0} | {times.Count} | {Seconds(median)} | {Seconds(sorted[0])} | {Seconds(sorted[^1])} | {count / median.TotalSeconds:N0} |"));
}

static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:F2} s");

int Option(string name, int fallback) =>
    OptionText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? OptionText(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && !args[index + 1].StartsWith("--", StringComparison.Ordinal) ? args[index + 1] : null;
}

/// <summary>A mixed fleet: mostly lockable phones, some refused by the rules, so the rules engine does real work.</summary>
internal static class Fleet
{
    private static readonly (Platform Platform, string Version)[] Mix =
    [
        (Platform.IOS, "17.5"), (Platform.Android, "14"), (Platform.AndroidForWork, "13"), (Platform.Windows10Mobile, "10.0.15063"),
        (Platform.WindowsPhone81, "8.10.14219"), (Platform.IOS, "16.7"), (Platform.Android, "6.0.1"), (Platform.MacOS, "14.5"),
        (Platform.Windows10Desktop, "10.0.19045"), (Platform.IOS, "17.4"),
    ];

    public static async Task<List<Guid>> SeedAsync(BenchDatabase database, int count)
    {
        var devices = Devices(count);
        await using var scope = database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await scope.ServiceProvider.GetRequiredService<BulkInsert>().InsertAsync(db, devices, CancellationToken.None);
        await transaction.CommitAsync();
        return devices.Select(d => d.Id).ToList();
    }

    public static List<Device> Devices(int count) =>
        Enumerable.Range(0, count).Select(i => new Device
        {
            Name = $"Bench device {i}",
            Platform = Mix[i % Mix.Length].Platform,
            OsVersion = OsVersion.Parse(Mix[i % Mix.Length].Version),
            Channel = ManagementChannel.DirectMdm,
            PasscodeSet = true,
            HasUnlockToken = true,
        }).ToList();
}
