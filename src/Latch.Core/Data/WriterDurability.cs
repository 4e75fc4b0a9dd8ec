using System.Data.Common;

namespace Latch.Core.Data;

/// <summary>
/// A provider's way to take the disk flush out of the single writer's COMMIT (<see cref="WriteBatcher"/>): the writer's
/// connection commits without waiting for the disk, and a batch's callers are answered only after
/// <see cref="IWriterFlush.Flush"/> has made that commit durable — while the writer already runs the next batch.
/// Without one, the writer's commits are durable when COMMIT returns, like every other connection's.
/// </summary>
public interface IWriterDurability
{
    /// <summary>The EF Core provider this applies to (<c>DatabaseFacade.ProviderName</c>).</summary>
    string ProviderName { get; }

    /// <summary>Sets up the writer's newly opened connection; null when its commits stay durable by themselves.</summary>
    IWriterFlush? PrepareWriter(DbConnection connection);
}

/// <summary>Makes the writer's commits durable after the fact.</summary>
public interface IWriterFlush
{
    /// <summary>Blocks until every commit the writer's connection has returned from is on disk; throws if that failed.</summary>
    void Flush();
}
