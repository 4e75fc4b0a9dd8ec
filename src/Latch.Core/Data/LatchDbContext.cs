using Latch.Core.Access;
using Latch.Core.Actions;
using Latch.Core.Audit;
using Latch.Core.Commands;
using Latch.Core.Devices;
using Latch.Core.Enrollment;
using Latch.Core.Groups;
using Latch.Core.Secrets;
using Latch.Core.Users;
using Microsoft.EntityFrameworkCore;

namespace Latch.Core.Data;

/// <summary>
/// The one context. It knows no provider: Latch.Data.Sqlite and Latch.Data.Postgres supply the provider,
/// their migrations and provider quirks. Enums are stored by name so the database reads on its own.
/// </summary>
public sealed class LatchDbContext(DbContextOptions<LatchDbContext> options) : DbContext(options)
{
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Group> Groups => Set<Group>();
    public DbSet<GroupDevice> GroupDevices => Set<GroupDevice>();
    public DbSet<GroupUser> GroupUsers => Set<GroupUser>();
    public DbSet<ActionRequest> ActionRequests => Set<ActionRequest>();
    public DbSet<DeviceAction> DeviceActions => Set<DeviceAction>();
    public DbSet<DeviceActionTransition> DeviceActionTransitions => Set<DeviceActionTransition>();
    public DbSet<Command> Commands => Set<Command>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AdminAccount> AdminAccounts => Set<AdminAccount>();
    public DbSet<AppleEnrollment> AppleEnrollments => Set<AppleEnrollment>();
    public DbSet<WindowsEnrollment> WindowsEnrollments => Set<WindowsEnrollment>();
    public DbSet<EnrollmentCode> EnrollmentCodes => Set<EnrollmentCode>();
    public DbSet<StoredSecret> StoredSecrets => Set<StoredSecret>();

    private List<Action>? _afterCommit;

    /// <summary>
    /// Work to run once this context's coming writes are committed (see <see cref="AfterCommitInterceptor"/>): call it
    /// before the writes, inside their transaction or right before a SaveChanges without one.
    /// </summary>
    public void AfterCommit(Action work) => (_afterCommit ??= []).Add(work);

    internal void RunAfterCommit()
    {
        if (_afterCommit is not { Count: > 0 } pending) return;
        _afterCommit = null;
        foreach (var work in pending) work();
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(40);
        configurationBuilder.Properties<string>().HaveMaxLength(400);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(user =>
        {
            user.HasIndex(u => u.UserPrincipalName).IsUnique();
        });

        modelBuilder.Entity<Device>(device =>
        {
            device.Property(d => d.OsVersion)
                .HasConversion(v => v.ToString(), text => OsVersion.Parse(text))
                .HasMaxLength(40);
            device.HasOne(d => d.Owner).WithMany().HasForeignKey(d => d.OwnerId).OnDelete(DeleteBehavior.SetNull);
            device.HasOne<User>().WithMany().HasForeignKey(d => d.EnrolledByUserId).OnDelete(DeleteBehavior.SetNull);
            device.HasOne<User>().WithMany().HasForeignKey(d => d.CurrentUserId).OnDelete(DeleteBehavior.SetNull);
            device.HasIndex(d => d.Name);
            device.HasIndex(d => d.Channel);
            device.Property(d => d.EnrolledThrough).HasMaxLength(40);
        });

        modelBuilder.Entity<Group>(group =>
        {
            group.HasIndex(g => g.Name).IsUnique();
            group.HasMany(g => g.Devices).WithOne().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
            group.HasMany(g => g.Users).WithOne().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<GroupDevice>(member =>
        {
            member.HasKey(m => new { m.GroupId, m.DeviceId });
            member.HasOne<Device>().WithMany().HasForeignKey(m => m.DeviceId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<GroupUser>(member =>
        {
            member.HasKey(m => new { m.GroupId, m.UserId });
            member.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ActionRequest>(request =>
        {
            request.HasIndex(r => r.RequestedAt);
            request.Property(r => r.IdempotencyKey).HasMaxLength(200);
            request.Property(r => r.Fingerprint).HasMaxLength(64);
            request.Property(r => r.UnrecordedOutcome).HasMaxLength(int.MaxValue);
            request.HasIndex(r => new { r.RequestedBy, r.IdempotencyKey }).IsUnique().HasFilter("\"IdempotencyKey\" IS NOT NULL");
        });

        // Actions outlive their device on purpose: the audit trail must survive a device's deletion. RequestId has no
        // foreign key: the request row is written in the same transaction, and a key check per row is what a
        // 100,000-device action pays for most on PostgreSQL.
        modelBuilder.Entity<DeviceAction>(action =>
        {
            action.Property(a => a.Reason).HasMaxLength(2000);
            action.Property(a => a.ProtectedPasscode).HasMaxLength(2000);
            action.HasMany(a => a.Transitions).WithOne().HasForeignKey(t => t.DeviceActionId).OnDelete(DeleteBehavior.Cascade);
            action.HasIndex(a => new { a.DeviceId, a.Action, a.State });
            // At most one lock (or reset) in flight per device, even when two requests race.
            action.HasIndex(a => new { a.DeviceId, a.Action })
                .IsUnique()
                .HasFilter("\"State\" IN ('Pending', 'Active')")
                .HasDatabaseName("IX_DeviceActions_OneInFlight");
            action.HasIndex(a => a.RequestId);
        });
        modelBuilder.Entity<DeviceActionTransition>(transition =>
        {
            transition.Property(t => t.Detail).HasMaxLength(2000);
        });

        modelBuilder.Entity<Command>(command =>
        {
            command.Property(c => c.Payload).HasMaxLength(8000);
            command.Property(c => c.Error).HasMaxLength(2000);
            // No foreign keys here on purpose: each is a lookup (and on PostgreSQL a row lock) paid once per row of a
            // 100,000-device action, about a fifth of its time. Callers queue only for devices they loaded in the same
            // transaction; a command left behind by a deleted device is never fetched and expires. Actions find their
            // command by DeviceAction.CommandId (a primary-key lookup), so DeviceActionId needs no index either.

            // Serves "next command for this device": open commands by priority, then age.
            command.HasIndex(c => new { c.DeviceId, c.Status, c.Priority, c.EnqueuedAt });
            command.HasIndex(c => new { c.Status, c.ExpiresAt });
        });

        modelBuilder.Entity<ApiToken>(token =>
        {
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.HasIndex(t => t.TokenHash).IsUnique();
        });

        modelBuilder.Entity<AdminAccount>(account =>
        {
            account.Property(a => a.UserName).HasMaxLength(200);
            account.Property(a => a.PasswordHash).HasMaxLength(400);
            account.Property(a => a.SessionStamp).HasMaxLength(64);
            account.HasIndex(a => a.UserName).IsUnique();
        });

        modelBuilder.Entity<AppleEnrollment>(enrollment =>
        {
            enrollment.Property(e => e.CertificateThumbprint).HasMaxLength(64);
            enrollment.HasIndex(e => e.CertificateThumbprint).IsUnique();
            enrollment.Property(e => e.ProtectedUnlockToken).HasMaxLength(8000);
            enrollment.HasIndex(e => e.Udid);
            enrollment.HasIndex(e => e.DeviceId);
            enrollment.HasOne<User>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<WindowsEnrollment>(enrollment =>
        {
            enrollment.Property(e => e.CertificateThumbprint).HasMaxLength(64);
            enrollment.HasIndex(e => e.CertificateThumbprint).IsUnique();
            enrollment.Property(e => e.PreviousCertificateThumbprint).HasMaxLength(64);
            enrollment.HasIndex(e => e.PreviousCertificateThumbprint);
            enrollment.Property(e => e.PushChannelUri).HasMaxLength(2048);
            enrollment.HasIndex(e => e.DeviceIdentifier);
            enrollment.HasIndex(e => e.HardwareId);
            enrollment.HasIndex(e => e.DeviceId);
            enrollment.HasOne<User>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<EnrollmentCode>(code =>
        {
            code.Property(c => c.CodeHash).HasMaxLength(64);
            code.HasIndex(c => c.CodeHash).IsUnique();
            code.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StoredSecret>(secret =>
        {
            secret.HasKey(s => s.Name);
            secret.Property(s => s.Name).HasMaxLength(100);
            secret.Property(s => s.ProtectedValue).HasMaxLength(int.MaxValue);
        });

        modelBuilder.Entity<AuditEvent>(audit =>
        {
            audit.Property(a => a.Detail).HasMaxLength(4000);
            audit.HasIndex(a => a.At);
            audit.HasIndex(a => a.DeviceId);
        });
    }
}
