using System.Data.Common;
using Latch.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace Latch.Data.Sqlite;

/// <summary>
/// SQLite's group commit without the writer waiting for the disk. In WAL mode a commit appends its pages to the
/// <c>-wal</c> file, and synchronous=FULL fsyncs that file inside COMMIT, while the one writer can do nothing else —
/// about half of a batch's time. The writer's connection (only it) runs synchronous=NORMAL instead — COMMIT appends
/// without the fsync; checkpoints still sync the WAL before copying it and the database after — and the batcher calls
/// <see cref="IWriterFlush.Flush"/>, one fsync of the <c>-wal</c> file, before it answers anyone: a caller hears of its
/// write only once it is on disk, as with FULL. Other connections keep FULL.
/// </summary>
internal sealed class SqliteWriterDurability : IWriterDurability
{
    public string ProviderName => "Microsoft.EntityFrameworkCore.Sqlite";

    public IWriterFlush? PrepareWriter(DbConnection connection)
    {
        var sqlite = (SqliteConnection)connection;
        if (string.IsNullOrEmpty(sqlite.DataSource)) return null; // in memory: nothing to flush
        using var command = sqlite.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        if (!string.Equals(command.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase)) return null;
        command.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 8192;";
        command.ExecuteNonQuery();
        return new WalFlush(sqlite.DataSource + "-wal");
    }

    private sealed class WalFlush(string walPath) : IWriterFlush
    {
        public void Flush()
        {
            // Opened for each flush, so it is always the WAL file that is there now. SQLite takes no locks on this file
            // (WAL locks live in -shm), so opening and closing it here cannot drop one of SQLite's POSIX locks.
            SafeFileHandle wal;
            try
            {
                wal = File.OpenHandle(walPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                return; // removed by the last connection's close, after a checkpoint that synced everything into the database
            }
            using (wal) RandomAccess.FlushToDisk(wal);
        }
    }
}
