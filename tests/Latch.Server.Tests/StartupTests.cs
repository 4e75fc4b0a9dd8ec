using System.Net;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Tests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Latch.Server.Tests;

public sealed class StartupTests
{
    private static async Task<int> DeviceCountAsync(LatchAppFactory app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LatchDbContext>().Devices.CountAsync();
    }

    [Fact]
    public async Task FirstStart_CreatesTheDatabase_SeedsTheDemoFleet_AndIsHealthy()
    {
        await using var app = new LatchAppFactory();
        var health = await app.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.True(File.Exists(Path.Combine(app.DataDirectory, "latch.db")));
        Assert.True(Directory.EnumerateFiles(Path.Combine(app.DataDirectory, "keys")).Any(), "the Data Protection key ring is kept");
        Assert.True(await DeviceCountAsync(app) >= 20);
    }

    [Fact]
    public async Task FirstStart_DemoOff_StartsEmpty()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "false" });
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/healthz")).StatusCode);
        Assert.Equal(0, await DeviceCountAsync(app));
    }

    [Fact]
    public async Task SecondStart_OnAnExistingDatabase_KeepsItsData_AndDoesNotSeedAgain()
    {
        await using var first = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "false" });
        first.CreateClient();
        await using (var scope = first.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            db.Devices.Add(new Device { Name = "Kept", Platform = Platform.IOS, OsVersion = OsVersion.Parse("17.0"), Channel = ManagementChannel.DirectMdm });
            await db.SaveChangesAsync();
        }

        // Demo is unset now: the database is not new, so nothing is seeded.
        await using var second = new LatchAppFactory(dataDirectory: first.DataDirectory);
        second.CreateClient();
        await using var check = second.Services.CreateAsyncScope();
        var devices = await check.ServiceProvider.GetRequiredService<LatchDbContext>().Devices.ToListAsync();
        Assert.Equal("Kept", Assert.Single(devices).Name);
    }

    [Fact]
    public async Task DemoOn_ForAnExistingDatabase_SeedsOnce()
    {
        await using var first = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "false" });
        first.CreateClient();
        await using var second = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "true" }, dataDirectory: first.DataDirectory);
        second.CreateClient();
        var seeded = await DeviceCountAsync(second);
        await using var third = new LatchAppFactory(new Dictionary<string, string?> { ["Demo"] = "true" }, dataDirectory: first.DataDirectory);
        third.CreateClient();

        Assert.True(seeded >= 20);
        Assert.Equal(seeded, await DeviceCountAsync(third));
    }

    [Fact]
    public async Task UnknownProvider_FailsAtStart_NamingTheSetting()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Database:Provider"] = "oracle" });
        var error = Assert.Throws<OptionsValidationException>(() => app.CreateClient());
        Assert.Contains("Database:Provider is 'oracle'; use 'sqlite' or 'postgres'.", error.Message);
    }

    [Fact]
    public async Task CommandLifetimeOutOfRange_FailsAtStart_NamingTheSetting()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["CommandQueue:CommandLifetime"] = "00:00:05" });
        var error = Assert.Throws<OptionsValidationException>(() => app.CreateClient());
        Assert.Contains("CommandQueue:CommandLifetime must be between", error.Message);
    }

    [Fact]
    public async Task PostgresWithoutConnectionString_FailsAtStart_NamingTheVariable()
    {
        await using var app = new LatchAppFactory(new Dictionary<string, string?> { ["Database:Provider"] = "postgres" });
        var error = Assert.Throws<OptionsValidationException>(() => app.CreateClient());
        Assert.Contains("LATCH_Database__ConnectionString", error.Message);
    }

    [Fact]
    public async Task Root_IsTheConsole_AndSendsAnAnonymousBrowserToSignIn_WithoutData()
    {
        await using var app = new LatchAppFactory();
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = true });
        var response = await client.GetAsync("/");
        Assert.Equal("/login", response.RequestMessage!.RequestUri!.AbsolutePath);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("Latch", text);
        Assert.DoesNotContain("iPhone", text);
    }

    [Fact]
    public async Task OnPostgres_MigratesSeedsAndIsHealthy_ThenUnhealthyWhenTheDatabaseGoes()
    {
        var database = await PostgresBackend.Instance.CreateDatabaseAsync();
        await using var context = database.NewContext();
        var connectionString = context.Database.GetConnectionString();
        await using var app = new LatchAppFactory(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "postgres",
            ["Database:ConnectionString"] = connectionString,
            ["Demo"] = "true",
        });
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.True(await DeviceCountAsync(app) >= 20);

        await database.DisposeAsync(); // drops the database under the running server
        var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
    }
}
