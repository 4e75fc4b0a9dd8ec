using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Latch.Devices.Apple;

// One plausible model per kind, and identifiers shaped like real ones (random, so never a real device's).
internal sealed record AppleHardware(
    string Family, string OSName, string ProductName, string Model, string ModelName, string OSVersion, string BuildVersion, string UdidPrefix)
{
    public static AppleHardware For(AppleDeviceKind kind) => kind switch
    {
        // iPhone 14 Pro (A16), iPad Air 4th generation (A14): UDIDs are "{chip id}-{ECID}".
        AppleDeviceKind.IPhone => new("iPhone", "iOS", "iPhone15,2", "MQ0T3LL/A", "iPhone", "17.5.1", "21F90", "00008120"),
        AppleDeviceKind.IPad => new("iPad", "iPadOS", "iPad13,1", "MYFM2LL/A", "iPad", "17.5.1", "21F90", "00008101"),

        // MacBook Air (M2): the MDM UDID of a Mac is a UUID.
        AppleDeviceKind.Mac => new("Mac", "macOS", "Mac14,2", "Mac14,2", "MacBook Air", "14.5", "23F79", ""),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown Apple device kind."),
    };

    public string NewUdid() => UdidPrefix.Length == 0
        ? Guid.NewGuid().ToString("D").ToUpperInvariant()
        : $"{UdidPrefix}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(8))}";

    // Apple's randomised ten-character serial numbers use no vowels.
    public static string NewSerialNumber() => RandomNumberGenerator.GetString("BCDFGHJKLMNPQRSTVWXYZ0123456789", 10);

    // A 15-digit IMEI with a valid Luhn check digit, spaced as iOS reports it ("35 209900 176148 1").
    public static string NewImei()
    {
        var digits = "35" + RandomNumberGenerator.GetString("0123456789", 12);
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 0)
            {
                d *= 2;
                d = d > 9 ? d - 9 : d;
            }

            sum += d;
        }

        var check = ((10 - (sum % 10)) % 10).ToString(CultureInfo.InvariantCulture);
        return $"{digits[..2]} {digits[2..8]} {digits[8..14]} {check}";
    }

    // A synthetic escrow keybag shaped like the real one (tag, big-endian length, value; the outer tag
    // "DATA"), with random keys: only its bytes matter, since ClearPasscode must echo them exactly.
    public static byte[] NewUnlockToken()
    {
        using var body = new MemoryStream();
        Tlv(body, "VERS", Int(4));
        Tlv(body, "TYPE", Int(2));
        Tlv(body, "UUID", RandomNumberGenerator.GetBytes(16));
        Tlv(body, "HMCK", RandomNumberGenerator.GetBytes(40));
        Tlv(body, "WRAP", Int(1));
        Tlv(body, "SALT", RandomNumberGenerator.GetBytes(20));
        Tlv(body, "ITER", Int(50000));
        for (var keyClass = 1; keyClass <= 11; keyClass++)
        {
            Tlv(body, "UUID", RandomNumberGenerator.GetBytes(16));
            Tlv(body, "CLAS", Int(keyClass));
            Tlv(body, "WRAP", Int(3));
            Tlv(body, "KTYP", Int(0));
            Tlv(body, "WPKY", RandomNumberGenerator.GetBytes(40));
        }

        Tlv(body, "SIGN", RandomNumberGenerator.GetBytes(20));
        using var token = new MemoryStream();
        Tlv(token, "DATA", body.ToArray());
        return token.ToArray();
    }

    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static void Tlv(MemoryStream stream, string tag, byte[] value)
    {
        stream.Write(Encoding.ASCII.GetBytes(tag));
        stream.Write(Int(value.Length));
        stream.Write(value);
    }
}
