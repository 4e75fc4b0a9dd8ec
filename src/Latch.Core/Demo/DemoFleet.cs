using System.Security.Cryptography;
using System.Text;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Groups;
using Latch.Core.Users;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Demo;

/// <summary>
/// A small fleet that puts every SPEC row and condition on screen: one device per platform, the boundaries
/// (Android 6.0.1 / 7.0, Windows 10 Mobile 15062 / 15063, Azure AD joined or not), Windows RT / 8.1 with the
/// enrolling user signed in or not, no passcode, Exchange-only and dual-managed phones, a PC agent, a lost phone.
/// Ids are derived from names so the demo is the same on every machine.
/// </summary>
public static class DemoFleet
{
    public static readonly Guid Ada = IdOf("user:ada"), Grace = IdOf("user:grace"), Alan = IdOf("user:alan"),
        Katherine = IdOf("user:katherine"), Margaret = IdOf("user:margaret");

    /// <summary>
    /// The Apple devices the server brings to life as simulated devices in the demo. Grace's iPad stays a record only,
    /// so the demo keeps an iOS device without an unlock token (a simulated device would send one).
    /// </summary>
    public static readonly IReadOnlyList<Guid> SimulatedAppleDevices =
    [
        DeviceIdOf("Ada's iPhone 15"), DeviceIdOf("Ada's MacBook Pro"), DeviceIdOf("Margaret's iPhone 13 (lost)"),
        DeviceIdOf("Katherine's iPhone SE (mail + MDM)"),
    ];

    /// <summary>
    /// The Windows devices the server brings to life as simulated devices in the demo (every Windows row managed through
    /// MDM; the PC software client's PC stays a record, as Latch does not speak that agent's protocol).
    /// </summary>
    public static readonly IReadOnlyList<Guid> SimulatedWindowsDevices =
    [
        DeviceIdOf("Margaret's Lumia 950"), DeviceIdOf("Grace's Lumia 650 (build 15062)"), DeviceIdOf("Alan's Lumia 950 XL (not Azure AD joined)"),
        DeviceIdOf("Katherine's Surface Book"), DeviceIdOf("Margaret's Lumia 930"), DeviceIdOf("Front desk Surface RT"),
        DeviceIdOf("Lab Surface 2 (another user signed in)"), DeviceIdOf("Reception laptop (Windows 8.1)"),
        DeviceIdOf("Shared Windows 8.1 laptop (another user signed in)"),
    ];

    public static Guid DeviceIdOf(string name) => IdOf("device:" + name);

    /// <summary>True when the demo fleet is already in the database.</summary>
    public static Task<bool> IsSeededAsync(LatchDbContext db, CancellationToken cancellationToken = default) =>
        db.Users.AnyAsync(u => u.Id == Ada, cancellationToken);

    public static async Task SeedAsync(LatchDbContext db, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        if (await IsSeededAsync(db, cancellationToken)) return;
        var now = clock.GetUtcNow();

        db.Users.AddRange(
            NewUser(Ada, "ada.lovelace", "Ada Lovelace"),
            NewUser(Grace, "grace.hopper", "Grace Hopper"),
            NewUser(Alan, "alan.turing", "Alan Turing"),
            NewUser(Katherine, "katherine.johnson", "Katherine Johnson"),
            NewUser(Margaret, "margaret.hamilton", "Margaret Hamilton"));

        var devices = Devices(now).ToList();
        db.Devices.AddRange(devices);

        db.Groups.Add(new Group
        {
            Id = IdOf("group:field-sales"), Name = "Field Sales phones", MemberKind = GroupMemberKind.Devices, CreatedAt = now,
            Description = "Phones carried by the field sales team.",
            Devices = devices.Where(d => d.Name is "Ada's iPhone 15" or "Alan's Galaxy S7" or "Margaret's Lumia 950"
                    or "Grace's Galaxy S8 (mail + MDM)")
                .Select(d => new GroupDevice { DeviceId = d.Id }).ToList(),
        });
        db.Groups.Add(new Group
        {
            Id = IdOf("group:pilot-users"), Name = "Help desk pilot users", MemberKind = GroupMemberKind.Users, CreatedAt = now,
            Description = "People trying self-service lock and reset first.",
            Users = [new GroupUser { UserId = Grace }, new GroupUser { UserId = Alan }],
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    private static IEnumerable<Device> Devices(DateTimeOffset now)
    {
        const ManagementChannel mdm = ManagementChannel.DirectMdm;
        yield return New("Ada's MacBook Pro", Platform.MacOS, "14.5", mdm, Ada, "Apple", "MacBookPro18,3", now, supervised: true, unlockToken: true);
        yield return New("Ada's iPhone 15", Platform.IOS, "17.5.1", mdm, Ada, "Apple", "iPhone15,4", now, supervised: true, unlockToken: true);
        yield return New("Grace's iPad Air (no unlock token yet)", Platform.IOS, "17.4", mdm, Grace, "Apple", "iPad13,16", now);
        yield return New("Margaret's iPhone 13 (lost)", Platform.IOS, "17.2", mdm, Margaret, "Apple", "iPhone14,5", now, unlockToken: true, lost: true);
        yield return New("Alan's Galaxy S7", Platform.Android, "6.0.1", mdm, Alan, "Samsung", "SM-G930F", now);
        yield return New("Alan's Galaxy Tab A (no passcode)", Platform.Android, "6.0", mdm, Alan, "Samsung", "SM-T580", now, passcode: false);
        yield return New("Grace's Moto G5 (Android 7.0)", Platform.Android, "7.0", mdm, Grace, "Motorola", "XT1676", now);
        yield return New("Alan's Pixel 8", Platform.Android, "14", mdm, Alan, "Google", "Pixel 8", now);
        yield return New("Katherine's Pixel 7 (work profile)", Platform.AndroidForWork, "13", mdm, Katherine, "Google", "Pixel 7", now);
        yield return New("Margaret's Lumia 950", Platform.Windows10Mobile, "10.0.15063.0", mdm, Margaret, "Microsoft", "Lumia 950", now, azureAd: true);
        yield return New("Grace's Lumia 650 (build 15062)", Platform.Windows10Mobile, "10.0.15062.0", mdm, Grace, "Microsoft", "Lumia 650", now, azureAd: true);
        yield return New("Alan's Lumia 950 XL (not Azure AD joined)", Platform.Windows10Mobile, "10.0.15254.0", mdm, Alan, "Microsoft", "Lumia 950 XL", now);
        yield return New("Katherine's Surface Book", Platform.Windows10Desktop, "10.0.19045", mdm, Katherine, "Microsoft", "Surface Book 3", now, azureAd: true);
        yield return New("Margaret's Lumia 930", Platform.WindowsPhone81, "8.10.14219", mdm, Margaret, "Nokia", "Lumia 930", now);
        yield return New("Front desk Surface RT", Platform.WindowsRT, "6.3.9600", mdm, Grace, "Microsoft", "Surface RT", now, currentUser: Grace);
        yield return New("Lab Surface 2 (another user signed in)", Platform.WindowsRT, "6.3.9600", mdm, Alan, "Microsoft", "Surface 2", now, currentUser: Katherine);
        yield return New("Reception laptop (Windows 8.1)", Platform.Windows81, "6.3.9600", mdm, Ada, "Lenovo", "ThinkPad X240", now, currentUser: Ada);
        yield return New("Shared Windows 8.1 laptop (another user signed in)", Platform.Windows81, "6.3.9600", mdm, Ada, "Dell", "Latitude E7440", now, currentUser: Margaret);
        yield return New("Ada's old iPhone (mail only)", Platform.IOS, "12.5.7", ManagementChannel.ExchangeActiveSyncOnly, Ada, "Apple", "iPhone8,1", now);
        yield return New("Grace's Galaxy S8 (mail + MDM)", Platform.Android, "7.0", ManagementChannel.DirectMdmAndExchangeActiveSync, Grace, "Samsung", "SM-G950F", now);
        yield return New("Katherine's iPhone SE (mail + MDM)", Platform.IOS, "16.7.8", ManagementChannel.DirectMdmAndExchangeActiveSync, Katherine, "Apple", "iPhone14,6", now, unlockToken: true);
        yield return New("Finance PC (PC software client)", Platform.Windows10Desktop, "10.0.19045", ManagementChannel.PcSoftwareClient, Katherine, "HP", "EliteDesk 800 G6", now);
    }

    private static User NewUser(Guid id, string alias, string name) => new()
    {
        Id = id, UserPrincipalName = $"{alias}@demo.latch.example", DisplayName = name, Email = $"{alias}@demo.latch.example",
    };

    private static Device New(string name, Platform platform, string version, ManagementChannel channel, Guid owner,
        string manufacturer, string model, DateTimeOffset now, bool passcode = true, bool azureAd = false, bool supervised = false,
        bool unlockToken = false, bool lost = false, Guid? currentUser = null)
    {
        var id = IdOf("device:" + name);
        var seed = id.GetHashCode() & 0x7fffffff;
        return new Device
        {
            Id = id,
            Name = name,
            Platform = platform,
            OsVersion = OsVersion.Parse(version),
            Channel = channel,
            OwnerId = owner,
            EnrolledByUserId = owner,
            CurrentUserId = platform.IsWindows() ? currentUser ?? owner : null,
            PasscodeSet = passcode,
            AzureAdJoined = azureAd,
            Supervised = supervised,
            HasUnlockToken = unlockToken,
            IsLost = lost,
            Manufacturer = manufacturer,
            Model = model,
            SerialNumber = $"DEMO{seed % 100_000_000:D8}",
            Imei = platform is Platform.MacOS or Platform.Windows10Desktop or Platform.Windows81 or Platform.WindowsRT
                ? null : $"35{seed % 1_000_000_000:D9}{seed % 10_000:D4}",
            EnrolledAt = now.AddDays(-30 - seed % 300),
            LastCheckInAt = now.AddMinutes(-(seed % 600)),
        };
    }

    private static Guid IdOf(string name) => new(SHA256.HashData(Encoding.UTF8.GetBytes("latch-demo:" + name)).AsSpan(0, 16));
}
