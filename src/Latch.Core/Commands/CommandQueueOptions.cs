using System.ComponentModel.DataAnnotations;

namespace Latch.Core.Commands;

public sealed class CommandQueueOptions
{
    public const string Section = "CommandQueue";

    /// <summary>How long a command waits for its device before it expires and its action fails.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan CommandLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the server looks for expired commands.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(5);
}
