using Latch.Core.Audit;
using Latch.Core.Data;

namespace Latch.Server.Devices;

/// <summary>What every channel's device endpoints share: reading a body within a size limit, and refusing a request.</summary>
public static class DeviceRequests
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

    /// <summary>
    /// Answers <paramref name="status"/> with the reason as text, logs it and records it in the audit trail
    /// (<c>device.requestRefused</c>). Only a short prefix of the certificate's thumbprint is logged and kept: enough to
    /// correlate, nothing to replay.
    /// </summary>
    public static async Task<IResult> RefuseAsync(HttpContext http, LatchDbContext db, TimeProvider clock, ILogger logger, string channel,
        int status, string reason, string? thumbprint, Guid? deviceId)
    {
        var who = thumbprint is null ? "an unidentified sender" : $"certificate {thumbprint[..12]}…";
        logger.LogWarning("Refused {Channel} device request {Method} {Path} from {Who}: {Reason}", channel, http.Request.Method, http.Request.Path.Value,
            who, reason);
        db.AuditEvents.Add(new AuditEvent
        {
            At = clock.GetUtcNow(), Actor = "device", Kind = AuditKinds.DeviceRequestRefused, DeviceId = deviceId,
            Detail = Truncate($"{http.Request.Method} {http.Request.Path} from {who} ({http.Connection.RemoteIpAddress}): {reason}"),
        });
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Text(reason, statusCode: status);
    }

    /// <summary>Whether the request's Content-Type is this media type (parameters such as charset aside).</summary>
    public static bool IsContentType(HttpRequest request, string expected) =>
        request.ContentType is { } actual && actual.Split(';')[0].Trim().Equals(expected, StringComparison.OrdinalIgnoreCase);

    /// <summary>An audit detail cut to what the audit table holds.</summary>
    public static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000];
}
