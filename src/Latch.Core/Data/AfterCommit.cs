using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Latch.Core.Data;

/// <summary>
/// Runs the work a <see cref="LatchDbContext"/> was given with <see cref="LatchDbContext.AfterCommit"/> once its writes
/// are committed: when its transaction commits, or when SaveChanges returns without one. In-memory knowledge about the
/// database (<see cref="Commands.QuietDevices"/>, the enrolment cache) is forgotten there, never earlier: a reader
/// that looked before the commit must not put back what it saw. A rollback or a failed save runs the work too —
/// forgetting too much only costs a read.
/// </summary>
public sealed class AfterCommitInterceptor : DbTransactionInterceptor, ISaveChangesInterceptor
{
    public static readonly AfterCommitInterceptor Instance = new();

    private AfterCommitInterceptor()
    {
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Run(eventData.Context);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Run(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Run(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Run(eventData.Context);
        return Task.CompletedTask;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        RunUnlessInTransaction(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        RunUnlessInTransaction(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => RunUnlessInTransaction(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        RunUnlessInTransaction(eventData.Context);
        return Task.CompletedTask;
    }

    private static void RunUnlessInTransaction(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is null) Run(context);
    }

    private static void Run(DbContext? context) => (context as LatchDbContext)?.RunAfterCommit();
}
