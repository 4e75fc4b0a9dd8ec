using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Latch.Core.Data;

/// <summary>
/// A transaction that a service method owns, or the caller's when one is already open (a <see cref="WriteBatcher"/>
/// batch): the method's writes are atomic either way, and only the owner commits.
/// </summary>
public sealed class JoinedTransaction : IAsyncDisposable
{
    private readonly IDbContextTransaction? _own;

    private JoinedTransaction(IDbContextTransaction? own) => _own = own;

    public static async Task<JoinedTransaction> BeginAsync(DbContext db, CancellationToken cancellationToken) =>
        new(db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null);

    public Task CommitAsync(CancellationToken cancellationToken) => _own?.CommitAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _own?.DisposeAsync() ?? ValueTask.CompletedTask;
}
