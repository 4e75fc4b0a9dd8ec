namespace Latch.Core.Data;

/// <summary>
/// Who writes to the database. Only when this process is the sole writer (SQLite: one server per database file) may the
/// device check-in path answer from memory (<see cref="Commands.QuietDevices"/>, <see cref="Enrollment.DeviceIdentities"/>):
/// with PostgreSQL other servers write too, so every check reads the database.
/// </summary>
public sealed class DatabaseWriters
{
    public bool OnlyThisProcess { get; set; }
}
