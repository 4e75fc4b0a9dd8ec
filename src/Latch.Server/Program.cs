using Latch.Core;
using Latch.Core.Commands;
using Latch.Server;
using Latch.Server.Apple;
using Latch.Server.Auth;
using Latch.Server.Console;
using Latch.Server.Graph;
using Latch.Server.Commands;
using Latch.Server.Apple.Demo;
using Latch.Server.Devices;
using Latch.Server.Health;
using Latch.Server.Security;
using Latch.Server.Storage;
using Latch.Server.Windows;
using Latch.Server.Windows.Demo;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddEnvironmentVariables("LATCH_");
// The console's CSS and scripts (Fluent UI's _content, blazor.web.js) from the build output in any environment, as
// `dotnet bin/.../Latch.Server.dll` starts it; without this only Development (dotnet run) or a published folder has them.
// A published folder has no static web assets manifest, so this does nothing there.
builder.WebHost.UseStaticWebAssets();

builder.Services.AddOptions<LatchOptions>().Bind(builder.Configuration).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddOptions<CommandQueueOptions>().Bind(builder.Configuration.GetSection(CommandQueueOptions.Section))
    .ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddLatchCore();
builder.Services.AddLatchStorage(builder.Configuration);
builder.Services.AddHostedService<CommandExpiry>();
builder.Services.AddHostedService<CheckInFlush>();
builder.Services.AddAppleChannel(builder.Configuration);
builder.Services.AddHostedService<SimulatedAppleFleet>();
builder.Services.AddWindowsChannel(builder.Configuration);
builder.Services.AddHostedService<SimulatedWindowsFleet>();
// Apple devices may present their enrolment identity as a TLS client certificate on HTTPS endpoints. It is issued
// by Latch's own CA, not a public one, so the TLS layer takes any certificate and the MDM endpoints check it.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
{
    https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
    https.AllowAnyClientCertificate();
}));
// Windows devices enrol and open their management sessions over HTTPS with a client certificate: the device port.
var serverUrls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey);
builder.WebHost.ConfigureKestrel(kestrel => DevicePortCertificate.Listen(kestrel, builder.Configuration, serverUrls));
builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
builder.Services.AddLatchAuth(builder.Configuration);
builder.Services.AddOpenApi();
builder.Services.AddLatchConsole();

var app = builder.Build();
await app.PrepareDatabaseAsync();
await app.EnsureAdministratorAsync();
_ = app.Services.GetRequiredService<DeviceCertificateAuthority>(); // created at first start, loaded after

app.UseGraphErrors();
app.UseSecurityHeaders();
app.UseCrossSiteRefusal();
app.UseAuthentication();
app.UseAuthorization();
app.MapHealthChecks("/healthz");
app.MapManagedDevices();
app.MapUsers();
app.MapGroups();
app.MapAuditEvents();
app.MapApiTokens();
app.MapAppleChannel();
app.MapWindowsChannel();
app.MapEnrollmentCodes();
app.MapSignIn();
app.MapOpenApi();                      // /openapi/v1.json, generated from the endpoints
app.UseSwaggerUI(ui =>                 // /api: a browsable reference over that document, served from the package
{
    ui.RoutePrefix = "api";
    ui.SwaggerEndpoint("/openapi/v1.json", "Latch admin API");
    ui.DocumentTitle = "Latch admin API";
});
app.MapLatchConsole();                 // the admin console: /, /groups, /users, /devices, /actions, /audit, /login

await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
