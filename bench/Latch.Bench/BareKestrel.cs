using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Latch.Bench;

/// <summary>
/// The ceiling for the Apple MDM benchmark: Kestrel alone, as its own process (the bench started again with
/// <c>--bare-kestrel --urls ...</c>), answering a PUT to the command path as Latch does when nothing is queued —
/// the whole body read, 200 with an empty body — and doing nothing else.
/// </summary>
internal static class BareKestrel
{
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/healthz", () => TypedResults.Text("Healthy"));
        app.MapPut(AppleMdmScenario.CommandPath, async (HttpContext http) =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            return TypedResults.Ok();
        });
        await app.RunAsync();
    }
}
