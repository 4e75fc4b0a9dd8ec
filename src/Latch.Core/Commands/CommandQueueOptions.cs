using System.ComponentModel.DataAnnotations;

namespace Latch.Core.Commands;

public sealed class CommandQueueOptions : IValidatableObject
{
    public const string Section = "CommandQueue";

    /// <summary>How long a command waits for its device before it expires and its action fails.</summary>
    public TimeSpan CommandLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How often the server looks for expired commands.</summary>
    public TimeSpan ExpirySweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    // Checked here rather than with [Range(typeof(TimeSpan), ...)]: that attribute converts its bounds lazily and
    // is not safe when two hosts validate at once.
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CommandLifetime < TimeSpan.FromMinutes(1) || CommandLifetime > TimeSpan.FromDays(365))
            yield return new ValidationResult("CommandQueue:CommandLifetime must be between 00:01:00 and 365.00:00:00.", [nameof(CommandLifetime)]);
        if (ExpirySweepInterval < TimeSpan.FromSeconds(1) || ExpirySweepInterval > TimeSpan.FromDays(1))
            yield return new ValidationResult("CommandQueue:ExpirySweepInterval must be between 00:00:01 and 1.00:00:00.", [nameof(ExpirySweepInterval)]);
    }
}
