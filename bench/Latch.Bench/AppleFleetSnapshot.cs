using System.Text.Json;
using Latch.Devices.Apple;
using Microsoft.Data.Sqlite;

namespace Latch.Bench;

/// <summary>
/// An enrolled fleet kept for later runs (<c>--snapshot DIR</c>): enrolling 10,000 devices takes minutes, and it is setup,
/// not what is measured. DIR holds a consistent copy of the server's data directory taken right after enrolment (SQLite's
/// online backup, plus the Data Protection key ring that decrypts the enrolment CA) and each device's signed profile, UDID
/// and serial number. Each run starts the server on a fresh copy. Delete DIR after changing enrolment or check-in code.
/// </summary>
internal static class AppleFleetSnapshot
{
    private const string DevicesFile = "devices.json";
    private const string DataFolder = "data";

    // The devices are only signers here: their own HTTP client is never used.
    private static readonly HttpClient Unused = new();

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, DevicesFile));

    public static async Task SaveAsync(string folder, string dataDirectory, IReadOnlyList<BenchDevice> devices, TimeSpan enrolment)
    {
        var data = Directory.CreateDirectory(Path.Combine(folder, DataFolder)).FullName;
        foreach (var file in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
                     .Where(f => !Path.GetFileName(f).StartsWith("latch.db", StringComparison.Ordinal)))
        {
            var copy = Path.Combine(data, Path.GetRelativePath(dataDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }
        // The server is running: the backup API copies one consistent state of the database.
        await using (var source = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "latch.db")};Pooling=False"))
        await using (var target = new SqliteConnection($"Data Source={Path.Combine(data, "latch.db")};Pooling=False"))
        {
            await source.OpenAsync();
            await target.OpenAsync();
            source.BackupDatabase(target);
        }
        var entries = devices.Select(d => new Entry(d.Device.DeviceName, d.Device.SerialNumber, d.Device.Udid, Convert.ToBase64String(d.Profile))).ToList();
        await File.WriteAllTextAsync(Path.Combine(folder, DevicesFile), JsonSerializer.Serialize(new Fleet(enrolment.TotalSeconds, entries)));
    }

    public static void CopyDataTo(string folder, string dataDirectory)
    {
        var data = Path.Combine(folder, DataFolder);
        foreach (var file in Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(dataDirectory, Path.GetRelativePath(data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }

    public static async Task<(List<BenchDevice> Devices, TimeSpan Enrolment)> LoadDevicesAsync(string folder, int count)
    {
        var fleet = JsonSerializer.Deserialize<Fleet>(await File.ReadAllTextAsync(Path.Combine(folder, DevicesFile)))!;
        if (fleet.Devices.Count != count)
            throw new InvalidOperationException($"The snapshot in {folder} has {fleet.Devices.Count:N0} devices, not {count:N0}: delete it or use another folder.");
        var devices = new BenchDevice[count];
        Parallel.For(0, count, i =>
        {
            var entry = fleet.Devices[i];
            var profile = Convert.FromBase64String(entry.Profile);
            devices[i] = new BenchDevice(new SimulatedAppleDevice(profile, AppleDeviceKind.IPhone, Unused,
                new SimulatedAppleDeviceOptions { DeviceName = entry.DeviceName, SerialNumber = entry.SerialNumber, Udid = entry.Udid }), profile);
        });
        return ([.. devices], TimeSpan.FromSeconds(fleet.EnrolmentSeconds));
    }

    private sealed record Fleet(double EnrolmentSeconds, List<Entry> Devices);

    private sealed record Entry(string DeviceName, string SerialNumber, string Udid, string Profile);
}
