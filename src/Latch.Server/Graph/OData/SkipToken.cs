using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Latch.Server.Graph.OData;

/// <summary>The $skiptoken of a next page: the offset of its first item, base64url-encoded so callers treat it as opaque.</summary>
internal static class SkipToken
{
    public static string Encode(int offset) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));

    public static bool TryDecode(string token, out int offset)
    {
        offset = 0;
        if (token.Length is 0 or > 16 || !Base64Url.IsValid(token)) return false;
        var digits = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }
}
