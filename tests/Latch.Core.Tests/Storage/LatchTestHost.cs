using Latch.Core.Commands;
using Latch.Core.Data;
using Latch.Core.Devices;
using Latch.Core.Users;
using Latch.Data.Postgres;
using Latch.Data.Sqlite;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Latch.Core.Tests.Storage;

/// <summary>
/// Core services over a real database of one backend, with a fake clock. Every call runs in its own DI scope
/// (its own DbContext), as requests do in the server, so nothing is answered from a context's memory.
/// </summary>
public sealed class LatchTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private readonly TestDatabase _database;
    private ServiceProvider _services;
    private readonly Action<IServiceCollection>? _extra;
    private readonly TimeSpan _commandLifetime;

    private LatchTestHost(TestDatabase database, TimeSpan commandLifetime, Action<IServiceCollection>? extra)
    {
        _database = database;
        _commandLifetime = commandLifetime;
        _extra = extra;
        _services = Build();
    }

    public FakeTimeProvider Clock { get; } = new(Start);

    /// <summary>The services, for tests that need a scope of their own (e.g. to hold a transaction open).</summary>
    public IServiceProvider Services => _services;

    /// <param name="commandLifetime">How long commands live (default one day).</param>
    /// <param name="extra">More services, e.g. an <see cref="IInterceptor"/> that makes a statement fail.</param>
    public static async Task<LatchTestHost> StartAsync(StorageBackend backend, TimeSpan? commandLifetime = null,
        Action<IServiceCollection>? extra = null)
    {
        var host = new LatchTestHost(await backend.CreateDatabaseAsync(), commandLifetime ?? TimeSpan.FromDays(1), extra);
        // The users TestDevices names as enrolling and signed-in users on Windows devices.
        await using var db = host.Db();
        db.Users.AddRange(
            new User { Id = TestDevices.EnrollingUser, UserPrincipalName = "enrolling@test.example", DisplayName = "Enrolling User" },
            new User { Id = TestDevices.OtherUser, UserPrincipalName = "other@test.example", DisplayName = "Other User" });
        await db.SaveChangesAsync();
        return host;
    }

    /// <summary>Runs <paramref name="work"/> with a service from a fresh scope.</summary>
    public async Task<TResult> With<TService, TResult>(Func<TService, Task<TResult>> work) where TService : notnull
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public async Task With<TService>(Func<TService, Task> work) where TService : notnull
    {
        await using var scope = _services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>A context of its own for reading what the services wrote; the caller disposes it.</summary>
    public LatchDbContext Db() => _database.NewContext();

    /// <summary>Throws away every service and pooled connection and starts again on the same database: a server restart.</summary>
    public async Task RestartAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        _services = Build();
    }

    public async Task<Device> AddDeviceAsync(Device device)
    {
        await using var db = Db();
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device;
    }

    public async Task<List<Guid>> AddDevicesAsync(int count, Platform platform = Platform.IOS, Action<Device>? adjust = null)
    {
        await using var db = Db();
        var devices = Enumerable.Range(0, count).Select(i => TestDevices.Of(platform, adjust: adjust)).ToList();
        db.Devices.AddRange(devices);
        await db.SaveChangesAsync();
        return devices.Select(d => d.Id).ToList();
    }

    public async Task<User> AddUserAsync(string name)
    {
        await using var db = Db();
        var user = new User { UserPrincipalName = $"{name.ToLowerInvariant().Replace(' ', '.')}@test.example", DisplayName = name };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    private ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddLogging();
        services.AddLatchCore().AddLatchSqlite().AddLatchPostgres();
        services.Configure<CommandQueueOptions>(options => options.CommandLifetime = _commandLifetime);
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddDbContext<LatchDbContext>((provider, options) =>
        {
            _database.Configure(options);
            var extraInterceptors = provider.GetServices<IInterceptor>().ToArray();
            if (extraInterceptors.Length > 0) options.AddInterceptors(extraInterceptors);
        });
        _extra?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }
}
