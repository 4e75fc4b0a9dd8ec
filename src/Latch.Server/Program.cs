using Latch.Core;
using Latch.Core.Commands;
using Latch.Server;
using Latch.Server.Commands;
using Latch.Server.Health;
using Latch.Server.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddEnvironmentVariables("LATCH_");

builder.Services.AddOptions<LatchOptions>().Bind(builder.Configuration).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddOptions<CommandQueueOptions>().Bind(builder.Configuration.GetSection(CommandQueueOptions.Section))
    .ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddLatchCore();
builder.Services.AddLatchStorage(builder.Configuration);
builder.Services.AddHostedService<CommandExpiry>();
builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");

var app = builder.Build();
await app.PrepareDatabaseAsync();

app.MapHealthChecks("/healthz");
app.MapGet("/", () => TypedResults.Text(
    "Latch device management is running. Health: /healthz. The admin API and console arrive with the next releases.\n"));

await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
