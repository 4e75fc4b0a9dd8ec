using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Latch.Core.Actions;
using Latch.Core.Data;
using Latch.Core.Enrollment;
using Latch.Core.Rules;
using Latch.Data.Sqlite;
using Latch.Server.Apple.Enrollment;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using CoreReport = Latch.Core.Commands.CommandReport;
using Latch.Core.Sessions;
using Latch.Protocols.Apple;
using ReportOutcome = Latch.Core.Commands.ReportOutcome;

namespace Latch.Bench;

/// <summary>
/// Where an Apple device request's time goes, step by step in the bench process on the stopped server's database: the
/// signature on each side, EF Core's per-request set-up, Core's work per request (with the SQL statements it runs and the
/// time spent inside SQLite), one durable commit, and Core's lock round trips without HTTP — one at a time and
/// concurrently, with Latch's settings and, as experiments, with DbContext pooling and with synchronous=NORMAL.
/// </summary>
internal static class AppleBreakdown
{
    private const int SampleSize = 500;
    private const string LatchPragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000; PRAGMA cache_size = -65536;";

    public static async Task RunAsync(string databasePath, string directory, List<BenchDevice> devices, int concurrency)
    {
        var sample = devices.Take(Math.Min(SampleSize, devices.Count)).ToList();
        var sql = new SqlMeter();
        await using var database = await BenchDatabase.SqliteAsync(databasePath, pooled: false, sql, sql.Commits);
        await using var pooled = await BenchDatabase.SqliteAsync(databasePath, pooled: true);
        await using var normal = await BenchDatabase.SqliteAsync(databasePath, pooled: false, new SynchronousNormal());
        Dictionary<Guid, string> thumbprints;
        await using (var scope = database.Services.CreateAsyncScope())
        {
            var ids = sample.Select(d => d.Id).ToList();
            thumbprints = await scope.ServiceProvider.GetRequiredService<LatchDbContext>().AppleEnrollments
                .Where(e => e.DeviceId != null && ids.Contains(e.DeviceId.Value))
                .ToDictionaryAsync(e => e.DeviceId!.Value, e => e.CertificateThumbprint);
        }

        // Core's calls for one device request, in a DI scope (one DbContext) of their own, as the server makes them.
        async Task FindAsync(IServiceProvider services, Guid deviceId)
        {
            await using var scope = services.CreateAsyncScope();
            _ = await scope.ServiceProvider.GetRequiredService<AppleEnrollments>().FindByCertificateAsync(thumbprints[deviceId])
                ?? throw new InvalidOperationException("No enrolment.");
        }
        // The device session as the Apple endpoint calls it (one writer operation per request), commands "encoded" as their ids.
        async Task IdleAsync(IServiceProvider services, Guid deviceId)
        {
            await using var scope = services.CreateAsyncScope();
            _ = await scope.ServiceProvider.GetRequiredService<AppleEnrollments>().FindByCertificateAsync(thumbprints[deviceId]);
            if ((await services.GetRequiredService<DeviceSessions>().ExchangeAsync(deviceId, SessionStart.New, [], 1, CommandIds.Instance)).Commands.Count > 0)
                throw new InvalidOperationException("A command was queued.");
        }
        async Task<Guid> FetchAsync(IServiceProvider services, Guid deviceId)
        {
            await using var scope = services.CreateAsyncScope();
            _ = await scope.ServiceProvider.GetRequiredService<AppleEnrollments>().FindByCertificateAsync(thumbprints[deviceId]);
            var exchange = await services.GetRequiredService<DeviceSessions>().ExchangeAsync(deviceId, SessionStart.New, [], 1, CommandIds.Instance);
            return exchange.Commands.Count == 1 ? exchange.Commands[0] : throw new InvalidOperationException("No command was queued.");
        }
        async Task AcknowledgeAsync(IServiceProvider services, Guid deviceId, Guid commandId)
        {
            await using var scope = services.CreateAsyncScope();
            _ = await scope.ServiceProvider.GetRequiredService<AppleEnrollments>().FindByCertificateAsync(thumbprints[deviceId]);
            var exchange = await services.GetRequiredService<DeviceSessions>().ExchangeAsync(deviceId, SessionStart.Continues,
                [new DeviceReport(commandId, CoreReport.Acknowledged)], 1, CommandIds.Instance);
            if (exchange.Reports[0] != ReportOutcome.Recorded) throw new InvalidOperationException($"The report was {exchange.Reports[0]}.");
            if (exchange.Commands.Count > 0) throw new InvalidOperationException("Another command.");
        }
        async Task QueueLocksAsync()
        {
            await using var scope = database.Services.CreateAsyncScope();
            var outcome = await scope.ServiceProvider.GetRequiredService<DeviceActions>()
                .RequestAsync(new ActionRequestInput(RemoteAction.RemoteLock, sample.Select(d => d.Id).ToList(), "bench@latch"));
            if (outcome.Queued.Count != sample.Count) throw new InvalidOperationException("Not every lock was queued.");
        }
        async Task<double> RoundTripsPerSecondAsync(IServiceProvider services, int workers)
        {
            await QueueLocksAsync();
            long next = -1;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
            {
                long index;
                while ((index = Interlocked.Increment(ref next)) < sample.Count)
                {
                    var id = sample[(int)index].Id;
                    await AcknowledgeAsync(services, id, await FetchAsync(services, id));
                }
            })));
            return sample.Count / watch.Elapsed.TotalSeconds;
        }

        var steps = new List<(string Step, Cost Cost)>();
        async Task StepAsync(string name, Func<BenchDevice, Task> step, bool warmUp = true)
        {
            if (warmUp)
                foreach (var device in sample.Take(50)) await step(device); // JIT, caches
            var meter = Cost.Start(sql);
            foreach (var device in sample) await step(device);
            steps.Add((name, meter.Stop(sample.Count)));
        }

        var kind = sample[0].Device.Profile.Identity.GetECDsaPublicKey() is null ? "RSA-2048" : "ECDSA P-256";
        await StepAsync($"device signs a body (client: SignedCms, {kind})", d => Task.FromResult(d.Device.CreateSignature(d.Idle.Body)));
        await StepAsync("server checks an Mdm-Signature with SignedCms (decode + CheckSignature + SHA-256 thumbprint; the reference path)",
            d => Task.FromResult(VerifyAsServerDoes(d.Idle)));
        var verifier = new MdmSignatureVerifier();
        Task VerifyAsServerDoesNow(BenchDevice d)
        {
            if (!verifier.TryVerify(d.Idle.Body, d.Idle.Signature, out var signer, out var error)) throw new CryptographicException(error);
            verifier.Keep(signer);
            return Task.CompletedTask;
        }
        await StepAsync("server checks an Mdm-Signature as it does now, a device's first request (MdmSignatureVerifier: the key imported)",
            VerifyAsServerDoesNow, warmUp: false);
        await StepAsync("    the same, the device's later requests (the identity's key kept)", VerifyAsServerDoesNow);
        // The floor under both: the bare signature operations on the same keys and bodies, without CMS or certificates.
        var keys = sample.ToDictionary(d => d, d => (Private: (AsymmetricAlgorithm?)d.Device.Profile.Identity.GetECDsaPrivateKey() ?? d.Device.Profile.Identity.GetRSAPrivateKey()!,
            Public: (AsymmetricAlgorithm?)d.Device.Profile.Identity.GetECDsaPublicKey() ?? d.Device.Profile.Identity.GetRSAPublicKey()!));
        var signatures = sample.ToDictionary(d => d, d => SignBare(keys[d].Private, d.Idle.Body));
        await StepAsync($"    {kind} signature alone (no CMS)", d => Task.FromResult(SignBare(keys[d].Private, d.Idle.Body)));
        await StepAsync($"    {kind} signature check alone (no CMS, no certificate decoding)",
            d => Task.FromResult(VerifyBare(keys[d].Public, d.Idle.Body, signatures[d]) ? true : throw new CryptographicException()));
        foreach (var (key, publicKey) in keys.Values)
        {
            key.Dispose();
            publicKey.Dispose();
        }
        await StepAsync("server decodes an Idle report (plist)", d => Task.FromResult(CommandResponse.Decode(d.Idle.Body)));
        await StepAsync("EF Core: a new scope and DbContext, up to its connection being open (a context's first database access)",
            d => OpenAndCloseAsync(database.Services));
        await StepAsync("    the same with DbContext pooling (AddDbContextPool; an experiment, not Latch's setting)", d => OpenAndCloseAsync(pooled.Services));
        await using (var scope = database.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
            await db.Database.OpenConnectionAsync();
            await StepAsync("EF Core: the enrolment query by thumbprint on a context whose connection is open",
                async d => _ = await db.AppleEnrollments.AsNoTracking().FirstOrDefaultAsync(e => e.CertificateThumbprint == thumbprints[d.Id]));
        }
        var connectionString = SqliteStorage.ConnectionStringForFile(databasePath);
        await StepAsync("ADO.NET: a pooled connection opened + the same SELECT", async d =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT * FROM AppleEnrollments WHERE CertificateThumbprint = $thumbprint LIMIT 1";
            command.Parameters.AddWithValue("$thumbprint", thumbprints[d.Id]);
            await using var reader = await command.ExecuteReaderAsync();
            _ = await reader.ReadAsync();
        });
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = LatchPragmas;
            await StepAsync("SQLite: the four PRAGMAs Latch runs each time a connection is opened", _ => pragmas.ExecuteNonQueryAsync());
        }
        await StepAsync("Core: find the enrolment by certificate thumbprint (new scope, one read)", d => FindAsync(database.Services, d.Id));
        await StepAsync("Core: Idle with nothing queued (new scope, find + DeviceSessions.ExchangeAsync)", d => IdleAsync(database.Services, d.Id));
        await StepAsync("    the same with DbContext pooling (an experiment)", d => IdleAsync(pooled.Services, d.Id));
        await QueueLocksAsync();
        var commands = new Dictionary<Guid, Guid>();
        await StepAsync("Core: lock, the Idle that fetches the DeviceLock (find + ExchangeAsync: one writer operation)",
            async d => commands[d.Id] = await FetchAsync(database.Services, d.Id), warmUp: false);
        await StepAsync("Core: lock, the Acknowledged (find + ExchangeAsync: the report and the look for more, one writer operation)",
            d => AcknowledgeAsync(database.Services, d.Id, commands[d.Id]), warmUp: false);
        steps.Add(("SQLite: one durable commit of a one-row insert (WAL, synchronous=FULL, same disk)", await CommitAsync(directory, 300)));

        var throughput = new List<(string Experiment, double PerSecond)>
        {
            ("one at a time (Latch's settings: a new DbContext per request, synchronous=FULL)", await RoundTripsPerSecondAsync(database.Services, 1)),
            ($"{concurrency} concurrent (Latch's settings)", await RoundTripsPerSecondAsync(database.Services, concurrency)),
            ($"{concurrency} concurrent, DbContext pooling (an experiment)", await RoundTripsPerSecondAsync(pooled.Services, concurrency)),
            ("one at a time, synchronous=NORMAL (an experiment: no fsync per commit, not durable on power loss)",
                await RoundTripsPerSecondAsync(normal.Services, 1)),
            ($"{concurrency} concurrent, synchronous=NORMAL (the same experiment)", await RoundTripsPerSecondAsync(normal.Services, concurrency)),
        };

        Console.WriteLine();
        Console.WriteLine($"Where the time goes: step by step in the bench process, one at a time, {sample.Count:N0} devices, on the stopped server's " +
                          $"database ({await database.ServerVersionAsync()}; load average {AppleMdmScenario.LoadAverage()}). Wall time includes " +
                          "waiting for the disk and for the cores; CPU time is this process's (all threads); SQL statements and the time inside " +
                          "SQLite (statements and commits, from EF Core's interceptors) are per request:");
        Console.WriteLine();
        Console.WriteLine("| step | wall µs | CPU µs | SQL statements | in SQLite µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (step, cost) in steps)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {step} | {cost.WallMicroseconds:N0} | {cost.CpuMicroseconds:N0} | ") +
                (cost.Statements > 0 ? string.Create(CultureInfo.InvariantCulture, $"{cost.Statements:0.#} | {cost.SqliteMicroseconds:N0} |") : "– | – |"));
        Console.WriteLine();
        Console.WriteLine($"Core's lock round trips without HTTP or signatures ({sample.Count:N0} devices each):");
        Console.WriteLine();
        Console.WriteLine("| Core alone | round trips/s |");
        Console.WriteLine("|---|---:|");
        foreach (var (experiment, perSecond) in throughput)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {experiment} | {perSecond:N0} |"));
    }

    private static async Task OpenAndCloseAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LatchDbContext>();
        await db.Database.OpenConnectionAsync();
        await db.Database.CloseConnectionAsync();
    }

    // The same calls as the server's MdmSignature.TryVerify, then the thumbprint the enrolment is found by.
    private static byte[] SignBare(AsymmetricAlgorithm key, byte[] body) => key switch
    {
        ECDsa ecdsa => ecdsa.SignData(body, HashAlgorithmName.SHA256),
        RSA rsa => rsa.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(),
    };

    private static bool VerifyBare(AsymmetricAlgorithm key, byte[] body, byte[] signature) => key switch
    {
        ECDsa ecdsa => ecdsa.VerifyData(body, signature, HashAlgorithmName.SHA256),
        RSA rsa => rsa.VerifyData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(),
    };

    private static string VerifyAsServerDoes(SignedBody message)
    {
        var cms = new SignedCms(new ContentInfo(message.Body.ToArray()), detached: true);
        cms.Decode(Convert.FromBase64String(message.Signature));
        var signer = cms.SignerInfos[0];
        signer.CheckSignature(verifySignatureOnly: true);
        return Convert.ToHexString(SHA256.HashData(signer.Certificate!.RawData));
    }

    private static async Task<Cost> CommitAsync(string directory, int commits)
    {
        var path = Path.Combine(directory, "commit-probe.db");
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using (var setup = connection.CreateCommand())
        {
            setup.CommandText = LatchPragmas + " CREATE TABLE probe (id INTEGER PRIMARY KEY, value TEXT NOT NULL);";
            await setup.ExecuteNonQueryAsync();
        }
        var meter = Cost.Start(null);
        for (var i = 0; i < commits; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO probe (value) VALUES ('a queued command')";
            await insert.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
        return meter.Stop(commits);
    }

    // Per operation: wall time, this process's CPU time, and (for EF Core work) statements run and time inside SQLite.
    private sealed record Cost(double WallMicroseconds, double CpuMicroseconds, double Statements, double SqliteMicroseconds)
    {
        public static CostMeter Start(SqlMeter? sql)
        {
            using var self = Process.GetCurrentProcess();
            return new CostMeter(Stopwatch.GetTimestamp(), self.TotalProcessorTime, sql, sql?.Statements ?? 0, sql?.Ticks ?? 0);
        }
    }

    private sealed record CostMeter(long Timestamp, TimeSpan Cpu, SqlMeter? Sql, long Statements, long SqlTicks)
    {
        public Cost Stop(int count)
        {
            using var self = Process.GetCurrentProcess();
            var wall = Stopwatch.GetElapsedTime(Timestamp);
            var statements = (Sql?.Statements ?? 0) - Statements;
            var inSqlite = TimeSpan.FromTicks((Sql?.Ticks ?? 0) - SqlTicks);
            return new Cost(wall.TotalMicroseconds / count, (self.TotalProcessorTime - Cpu).TotalMicroseconds / count,
                (double)statements / count, inSqlite.TotalMicroseconds / count);
        }
    }

    // Counts the statements EF Core runs and adds up their execution time, and that of commits.
    private sealed class SqlMeter : DbCommandInterceptor
    {
        private long _statements;
        private long _ticks;

        public SqlMeter() => Commits = new CommitMeter(this);

        public IInterceptor Commits { get; }

        public long Statements => Interlocked.Read(ref _statements);

        public long Ticks => Interlocked.Read(ref _ticks);

        public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) =>
            Count(eventData, result);

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
            CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

        public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result) => Count(eventData, result);

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
            CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

        public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result) => Count(eventData, result);

        public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result,
            CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

        private T Count<T>(CommandExecutedEventData eventData, T result)
        {
            Interlocked.Increment(ref _statements);
            Interlocked.Add(ref _ticks, eventData.Duration.Ticks);
            return result;
        }

        private sealed class CommitMeter(SqlMeter owner) : DbTransactionInterceptor
        {
            public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
                Interlocked.Add(ref owner._ticks, eventData.Duration.Ticks);

            public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData,
                CancellationToken cancellationToken = default)
            {
                Interlocked.Add(ref owner._ticks, eventData.Duration.Ticks);
                return Task.CompletedTask;
            }
        }
    }

    // The experiment's setting, applied after Latch's own PRAGMAs each time a connection is opened.
    private sealed class SynchronousNormal : DbConnectionInterceptor
    {
        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = NORMAL;";
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData,
            CancellationToken cancellationToken = default)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = NORMAL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>Commands "encoded" as their ids: the breakdown measures Core's work, not a wire format.</summary>
internal sealed class CommandIds : ICommandEncoder<Guid>
{
    public static readonly CommandIds Instance = new();

    public CommandEncoding<Guid> Encode(Latch.Core.Commands.Command command, DeviceAction? action) => CommandEncoding.Send(command.Id);
}
