using System.ComponentModel.DataAnnotations;

namespace Latch.Server;

/// <summary>Top-level settings: LATCH_DataDirectory, LATCH_Demo.</summary>
public sealed class LatchOptions
{
    /// <summary>Where the SQLite file and the Data Protection key ring live; relative to the working directory.</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Seed the demo fleet. Unset: only when the database is new.</summary>
    public bool? Demo { get; set; }
}
