using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Latch.Protocols.Windows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Latch.Bench;

/// <summary>
/// The ceiling for the MDM benchmarks: Kestrel alone, as its own process (the bench started again), doing nothing but
/// the transport. <c>--bare-kestrel --urls ...</c>: a PUT to the Apple command path, the whole body read, 200 with an
/// empty body, as Latch answers when nothing is queued. <c>--bare-kestrel-tls --port N</c>: HTTPS on loopback with a
/// throwaway RSA-2048 certificate (the key type of Latch's device-port certificate), asking every client for a certificate
/// (<see cref="ClientCertificateMode.AllowCertificate"/>, any accepted), a POST to the Windows management path, the whole
/// body read, 200 with a fixed SyncML answer of the size Latch gives an idle device.
/// </summary>
internal static class BareKestrel
{
    public const string WindowsPath = "/ManagementServer/MDM.svc";

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

    public static async Task RunTlsAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        using var certificate = ThrowawayCertificate();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        })));
        var app = builder.Build();
        var answer = IdleAnswer();
        app.MapGet("/healthz", () => TypedResults.Text("Healthy"));
        app.MapPost(WindowsPath, async (HttpContext http) =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
            http.Response.ContentType = SyncMessage.ContentType;
            http.Response.ContentLength = answer.Length;
            await http.Response.Body.WriteAsync(answer, http.RequestAborted);
        });
        await app.RunAsync();
    }

    // What Latch answers an idle device's package 1: the Status of the SyncHdr and one Status per command.
    private static byte[] IdleAnswer() => new SyncMessage
    {
        Header = new SyncHeader
        {
            SessionId = "1000000A", MsgId = "1", TargetLocUri = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            SourceLocUri = $"https://127.0.0.1:5443{WindowsPath}",
        },
        Commands =
        [
            new SyncStatus { CmdId = "1", MsgRef = "1", CmdRef = "0", Cmd = "SyncHdr", Data = "200" },
            new SyncStatus { CmdId = "2", MsgRef = "1", CmdRef = "1", Cmd = "Alert", Data = "200" },
            new SyncStatus { CmdId = "3", MsgRef = "1", CmdRef = "2", Cmd = "Alert", Data = "200" },
            new SyncStatus { CmdId = "4", MsgRef = "1", CmdRef = "3", Cmd = "Replace", Data = "200" },
        ],
        Final = true,
    }.Encode();

    private static X509Certificate2 ThrowawayCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Export and reload: on Linux an ephemeral key cannot serve TLS.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
