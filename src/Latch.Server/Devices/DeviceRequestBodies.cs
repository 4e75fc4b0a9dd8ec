namespace Latch.Server.Devices;

/// <summary>Reading a device's request body within a size limit, for every channel's endpoints.</summary>
public static class DeviceRequestBodies
{
    /// <summary>
    /// The whole body up to the limit; null when it is larger (whatever Content-Length claims). A body that declares its
    /// length (devices do) is read straight into an array of that size.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }
        using var buffer = new MemoryStream(4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>An audit detail cut to what the audit table holds.</summary>
    public static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000];
}
