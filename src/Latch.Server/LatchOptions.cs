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

    /// <summary>
    /// With the demo fleet, run simulated Apple devices inside the server for its Apple phones and Mac, so actions on
    /// them complete over the real protocol on loopback. <c>LATCH_SimulatedDevices=false</c> turns them off.
    /// </summary>
    public bool SimulatedDevices { get; set; } = true;

    /// <summary>How often the simulated devices check in (there is no APNs on a demo machine, so they poll).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00")]
    public TimeSpan SimulatedCheckInInterval { get; set; } = TimeSpan.FromSeconds(2);
}
