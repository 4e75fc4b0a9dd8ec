using System.Diagnostics;

namespace Latch.Core;

/// <summary>
/// Traces of Core's work, for OpenTelemetry or any <see cref="ActivityListener"/>: a bulk action is one
/// activity with a child per phase, so an operator (and the benchmark) sees where the time goes.
/// </summary>
public static class LatchTelemetry
{
    public const string SourceName = "Latch.Core";

    public static readonly ActivitySource Source = new(SourceName);
}
