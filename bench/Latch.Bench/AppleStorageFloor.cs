using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Latch.Bench;

/// <summary>
/// The storage floor of one remote-lock round trip (<c>--storage-floor</c>): the SQLite statements the server's
/// <c>QueueStatements</c> prepares for a round trip — the delivery (next-command read with its action, device and
/// request; claim; action to Active with its transition and audit event) and the report (command read with its
/// action and the device's other open commands; record; action to Done with its transition and audit event) —
/// written out here and stepped through SQLite's C API on a copy of an enrolled fleet: no HTTP, no signatures, no
/// EF Core or ADO.NET, no thread hand-offs. Deliveries of half a batch and the reports of the half before share a
/// commit, as the server's write batches do. What it costs is the least any implementation on this schema pays per
/// round trip; the Apple bench's Idle figures give the same for the two signed requests around it.
/// </summary>
internal static class AppleStorageFloor
{
    private const string RequestId = "00000000-0000-7000-8000-000000000001";
    private const long Now = 639_314_401_509_698_809; // .NET ticks, as the server stores times

    public static void Run(string snapshot, int devices, IReadOnlyList<int> batches, int runs)
    {
        var source = Path.Combine(snapshot, "data", "latch.db");
        SQLitePCL.Batteries_V2.Init(); // the bundled SQLite that Microsoft.Data.Sqlite, and so the server, uses
        if (!File.Exists(source)) throw new FileNotFoundException($"No enrolled fleet in {snapshot}: make one with --apple --snapshot {snapshot}.", source);
        Console.WriteLine($"Storage floor of a remote-lock round trip (SQLite {raw.sqlite3_libversion().utf8_to_string()}, C API, no .NET data access), " +
                          $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; fleet: {snapshot}");
        Console.WriteLine();
        // One run first, not shown: the first measurement in a process runs the bench's own loop at its first JIT tier.
        MeasureCopy(source, Math.Min(devices, 2_000), batches[0], "FULL");
        Console.WriteLine("| synchronous | operations per commit | run | round trips | CPU per round trip | wall: reads | wall: writes | wall: COMMIT | wall per round trip |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var synchronous in new[] { "FULL", "OFF" })
        foreach (var batch in batches)
        for (var run = 1; run <= runs; run++)
        {
            var result = MeasureCopy(source, devices, batch, synchronous);
            Console.WriteLine($"| {synchronous} | {batch} | {run} | {devices:N0} | {Micro(result.Cpu)} | {Micro(result.Reads)} | {Micro(result.Writes)} | " +
                              $"{Micro(result.Commit)} | {Micro(result.Wall)} |");
        }

        string Micro(TimeSpan perRoundTrip) => $"{perRoundTrip.TotalMicroseconds:N0} µs";
    }

    private static Result MeasureCopy(string source, int devices, int batch, string synchronous)
    {
        var copy = Path.Combine(Path.GetTempPath(), $"latch-floor-{Guid.NewGuid():N}.db");
        File.Copy(source, copy);
        try
        {
            return Measure(copy, devices, batch, synchronous);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { copy, copy + "-wal", copy + "-shm" }) File.Delete(file);
        }
    }

    private sealed record Result(TimeSpan Cpu, TimeSpan Reads, TimeSpan Writes, TimeSpan Commit, TimeSpan Wall);

    private static Result Measure(string file, int count, int batch, string synchronous)
    {
        using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        var db = connection.Handle!;
        Exec(db, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8192;");

        // One request, one pending action and one queued DeviceLock per device, in random order, as the bench queues them (not timed).
        var devices = Column(db, $"SELECT Id FROM Devices WHERE UnenrolledAt IS NULL ORDER BY random() LIMIT {count}");
        if (devices.Count < count) throw new InvalidOperationException($"The fleet has {devices.Count:N0} enrolled devices, not {count:N0}.");
        var actions = devices.Select(_ => Guid.CreateVersion7().ToString().ToUpperInvariant()).ToArray();
        var commands = devices.Select(_ => Guid.CreateVersion7().ToString().ToUpperInvariant()).ToArray();
        Exec(db, $"BEGIN; INSERT INTO ActionRequests VALUES ('{RequestId}', 'RemoteLock', 'bench', {Now}, 0, NULL, NULL, NULL, {count}, {count}, 0, 0, 0);");
        var insertAction = Prepare(db, $"INSERT INTO DeviceActions VALUES (?1, '{RequestId}', ?2, ?3, 'RemoteLock', 'Pending', NULL, 'bench', {Now}, {Now}, NULL)");
        var insertCommand = Prepare(db, $"INSERT INTO Commands VALUES (?1, ?2, ?3, 'DeviceLock', 10, NULL, 'Queued', {Now}, {Now + TimeSpan.TicksPerDay * 14}, 0, NULL, NULL, NULL)");
        for (var i = 0; i < count; i++)
        {
            Step(db, insertAction, actions[i], devices[i], commands[i]);
            Step(db, insertCommand, commands[i], devices[i], actions[i]);
        }
        Exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");

        var notExpired = $"CASE WHEN {{0}}.ExpiresAt > {Now + 1} THEN 1 ELSE 0 END = 1";
        var next = Prepare(db,
            "SELECT c.*, a.*, d.Id, d.Name, d.Platform, d.OsVersion, d.Channel, d.EnrolledByUserId, d.CurrentUserId, d.PasscodeSet, " +
            "d.AzureAdJoined, d.Supervised, d.HasUnlockToken, d.IsLost, d.UnenrolledAt, r.LostDeviceConfirmed " +
            "FROM Commands AS c INNER JOIN Devices AS d ON d.Id = c.DeviceId LEFT JOIN DeviceActions AS a ON a.Id = c.DeviceActionId " +
            "LEFT JOIN ActionRequests AS r ON r.Id = a.RequestId WHERE c.DeviceId = ?1 AND c.Status IN ('Queued', 'Sent', 'NotNow') " +
            $"AND {string.Format(notExpired, "c")} ORDER BY c.Priority, c.EnqueuedAt, c.Id LIMIT 1");
        var othersOpen = (string statuses) => "EXISTS (SELECT 1 FROM Commands AS o WHERE o.DeviceId = c.DeviceId AND o.Id <> c.Id " +
                                              $"AND o.Status IN ({statuses}) AND {string.Format(notExpired, "o")})";
        var report = Prepare(db,
            $"SELECT c.*, a.*, {othersOpen("'Queued', 'Sent'")}, {othersOpen("'Queued', 'Sent', 'NotNow'")} " +
            "FROM Commands AS c LEFT JOIN DeviceActions AS a ON a.Id = c.DeviceActionId WHERE c.Id = ?1");
        var claim = Prepare(db, $"UPDATE Commands SET Status = 'Sent', DeliveryCount = 1, LastSentAt = {Now + 2} WHERE Id = ?1 AND Status = 'Queued' AND DeliveryCount = 0");
        var record = Prepare(db, $"UPDATE Commands SET Status = 'Acknowledged', FinishedAt = {Now + 3}, Error = NULL WHERE Id = ?1 AND Status IN ('Queued', 'Sent', 'NotNow')");
        var move = Prepare(db, "UPDATE DeviceActions SET State = ?2, Reason = NULL, LastUpdatedAt = ?3 WHERE Id = ?1");
        var transition = Prepare(db, "INSERT INTO DeviceActionTransitions (DeviceActionId, \"From\", \"To\", At, Detail, By) VALUES (?1, ?2, ?3, ?4, ?5, 'device')");
        var audit = Prepare(db, $"INSERT INTO AuditEvents (At, Actor, Kind, DeviceId, DeviceActionId, ActionRequestId, Detail) VALUES (?1, 'device', 'action.stateChanged', ?2, ?3, '{RequestId}', ?4)");

        // A running server's page cache holds the fleet: every statement's pages read once before the clock starts.
        for (var i = 0; i < count; i++)
        {
            Read(db, next, devices[i]);
            Read(db, report, commands[i]);
        }

        var reads = new Stopwatch();
        var writes = new Stopwatch();
        var commit = new Stopwatch();
        var half = batch / 2;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var start = 0; start < count + half; start += half)
        {
            Exec(db, "BEGIN");
            for (var i = start; i < Math.Min(start + half, count); i++)
                Settle(i, next, devices[i], claim, "Pending", "Active", Now + 2, "The device fetched the command.");
            for (var i = Math.Max(start - half, 0); i < Math.Min(start, count); i++)
                Settle(i, report, commands[i], record, "Active", "Done", Now + 3, "The device acknowledged the command.");
            commit.Start();
            Exec(db, "COMMIT");
            commit.Stop();
        }
        wall.Stop();
        var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;

        var done = Column(db, $"SELECT count(*) FROM DeviceActions WHERE RequestId = '{RequestId}' AND State = 'Done'");
        if (done[0] != count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"{done[0]} of {count} actions are done.");
        foreach (var statement in new[] { insertAction, insertCommand, next, report, claim, record, move, transition, audit }) statement.Dispose();
        return new Result(spent / count, reads.Elapsed / count, writes.Elapsed / count, commit.Elapsed / count, wall.Elapsed / count);

        // One half of device i's round trip: its read, then the command's change and the action's move with its rows.
        void Settle(int i, sqlite3_stmt read, string key, sqlite3_stmt change, string from, string to, long at, string detail)
        {
            reads.Start();
            Read(db, read, key);
            reads.Stop();
            writes.Start();
            if (Step(db, change, commands[i]) != 1) throw new InvalidOperationException($"Command {commands[i]} did not move to {to}.");
            Step(db, move, actions[i], to, at);
            Step(db, transition, actions[i], from, to, at, detail);
            Step(db, audit, at, devices[i], actions[i], $"RemoteLock: {from} → {to}. {detail}");
            writes.Stop();
        }
    }

    private static sqlite3_stmt Prepare(sqlite3 db, string sql)
    {
        Check(db, raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement, out _));
        return statement;
    }

    // Binds, steps to the end and resets; returns the rows changed.
    private static int Step(sqlite3 db, sqlite3_stmt statement, params object[] values)
    {
        Bind(statement, values);
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE) Check(db, result);
        return raw.sqlite3_changes(db);
    }

    // Binds, reads every row's columns as the server's readers do (text as text, the rest as numbers) and resets.
    private static void Read(sqlite3 db, sqlite3_stmt statement, params object[] values)
    {
        Bind(statement, values);
        int result;
        while ((result = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            for (var column = 0; column < raw.sqlite3_column_count(statement); column++)
                if (raw.sqlite3_column_type(statement, column) == raw.SQLITE_TEXT) raw.sqlite3_column_text(statement, column);
                else raw.sqlite3_column_int64(statement, column);
        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE) Check(db, result);
    }

    private static void Bind(sqlite3_stmt statement, object[] values)
    {
        for (var i = 0; i < values.Length; i++)
            Check(null, values[i] switch
            {
                string text => raw.sqlite3_bind_text(statement, i + 1, text),
                long number => raw.sqlite3_bind_int64(statement, i + 1, number),
                _ => throw new ArgumentException($"Cannot bind {values[i].GetType()}."),
            });
    }

    private static List<string> Column(sqlite3 db, string sql)
    {
        var statement = Prepare(db, sql);
        var values = new List<string>();
        while (raw.sqlite3_step(statement) == raw.SQLITE_ROW) values.Add(raw.sqlite3_column_text(statement, 0).utf8_to_string());
        statement.Dispose();
        return values;
    }

    private static void Exec(sqlite3 db, string sql) => Check(db, raw.sqlite3_exec(db, sql));

    private static void Check(sqlite3? db, int result)
    {
        if (result is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new InvalidOperationException(db is null ? $"SQLite error {result}." : raw.sqlite3_errmsg(db).utf8_to_string());
    }
}
