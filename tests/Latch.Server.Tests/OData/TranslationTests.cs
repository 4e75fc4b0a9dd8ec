using System.Linq.Expressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using static Latch.Server.Tests.OData.Gadgets;

namespace Latch.Server.Tests.OData;

/// <summary>The filter is one plain lambda that EF Core turns into SQL, and SQLite answers as LINQ to Objects does.</summary>
public sealed class TranslationTests : IAsyncLifetime
{
    private const string EveryKind =
        "(deviceName eq 'Alpha' or startswith(userPrincipalName,'b')) and not isSupervised eq false"
        + " or id eq 0f8fad5b-d9cb-469f-a165-708677289506 or lastSyncDateTime gt 2026-11-27T09:00:00Z or userPrincipalName eq null";

    private readonly SqliteConnection _connection = new("Data Source=:memory:");
    private GadgetContext _db = null!;

    public async ValueTask InitializeAsync()
    {
        await _connection.OpenAsync();
        _db = new GadgetContext(new DbContextOptionsBuilder<GadgetContext>().UseSqlite(_connection).Options);
        await _db.Database.EnsureCreatedAsync();
        _db.Gadgets.AddRange(Fleet);
        await _db.SaveChangesAsync();
        _db.ChangeTracker.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [Fact]
    public void The_filter_is_a_single_lambda_without_invocations()
    {
        var filter = Parse(("$filter", EveryKind)).Filter!;
        var walker = new Walker();
        walker.Visit(filter.Body);

        Assert.Equal(0, walker.Invocations);
        // Every registered expression was re-pointed at the filter's own parameter.
        Assert.Equal([filter.Parameters[0]], walker.Parameters.Distinct());
        // Values travel as captured members (SQL parameters), never as string literals baked into the tree.
        Assert.DoesNotContain(walker.Constants, c => c is string or Guid or DateTimeOffset);
    }

    [Theory]
    [InlineData(EveryKind)]
    [InlineData("deviceName eq 'Alpha'")]
    [InlineData("deviceName ne 'Alpha'")]
    [InlineData("userPrincipalName ne 'ann'")]
    [InlineData("userPrincipalName eq 'O''Brien'")]
    [InlineData("userPrincipalName eq null")]
    [InlineData("startswith(deviceName,'Ch')")]
    [InlineData("startswith(userPrincipalName,'O''')")]
    [InlineData("not startswith(userPrincipalName,'a')")]
    [InlineData("isSupervised")]
    [InlineData("isSupervised eq false and operatingSystem eq 'Android'")]
    [InlineData("id eq '0f8fad5b-d9cb-469f-a165-708677289506'")]
    [InlineData("id ne null")]
    [InlineData("lastSyncDateTime ge 2026-11-27T11:00:00+02:00")]
    [InlineData("lastSyncDateTime lt 2026-11-27T09:00:00Z or lastSyncDateTime eq null")]
    public async Task Sqlite_keeps_what_LINQ_to_objects_keeps(string filter)
    {
        var query = Parse(("$filter", filter));
        var expected = query.ApplyFilter(Fleet.AsQueryable()).Select(g => g.Id).Order().ToList();

        var actual = await query.ApplyFilter(_db.Gadgets).Select(g => g.Id).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, actual.Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("deviceName desc")]
    [InlineData("userPrincipalName,lastSyncDateTime desc")]
    [InlineData("operatingSystem desc,lastSyncDateTime")]
    public async Task Sqlite_orders_and_pages_as_LINQ_to_objects_does(string orderBy)
    {
        (string Name, string Value)[] options = orderBy.Length == 0 ? [("$top", "2")] : [("$top", "2"), ("$orderby", orderBy)];
        var seen = new List<Guid>();
        string? token = null;
        do
        {
            var query = Parse(token is null ? options : [.. options, ("$skiptoken", token)]);
            var rows = await query.ApplyOrderAndPage(query.ApplyFilter(_db.Gadgets), g => g.Id)
                .Select(g => g.Id).ToListAsync(TestContext.Current.CancellationToken);
            seen.AddRange(rows.Take(query.Top));
            token = query.NextSkipToken(rows.Count > query.Top);
        } while (token is not null);

        var inMemory = Parse([.. options.Where(o => o.Name != "$top")]);
        Assert.Equal(inMemory.ApplyOrderAndPage(Fleet.AsQueryable(), g => g.Id).Select(g => g.Id), seen);
    }

    [Fact]
    public async Task Startswith_on_sqlite_ignores_ascii_case()
    {
        // EF Core translates StartsWith to LIKE, and SQLite's LIKE ignores ASCII case (PostgreSQL's does not).
        var query = Parse(("$filter", "startswith(deviceName,'al')"));
        var names = await query.ApplyFilter(_db.Gadgets).Select(g => g.Name).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["Alpha", "alpha-2"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Values_are_sent_as_sql_parameters()
    {
        var query = Parse(("$filter", "deviceName eq 'Alpha' and startswith(operatingSystem,'i')"));
        var sql = query.ApplyFilter(_db.Gadgets).ToQueryString();
        var where = sql[sql.IndexOf("WHERE", StringComparison.Ordinal)..];
        Assert.DoesNotContain("'Alpha'", where, StringComparison.Ordinal);
        Assert.Contains("@", where, StringComparison.Ordinal);
    }

    private sealed class Walker : ExpressionVisitor
    {
        public int Invocations { get; private set; }
        public List<ParameterExpression> Parameters { get; } = [];
        public List<object?> Constants { get; } = [];

        protected override Expression VisitInvocation(InvocationExpression node)
        {
            Invocations++;
            return base.VisitInvocation(node);
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Parameters.Add(node);
            return node;
        }

        protected override Expression VisitConstant(ConstantExpression node)
        {
            Constants.Add(node.Value);
            return node;
        }
    }

    private sealed class GadgetContext(DbContextOptions<GadgetContext> options) : DbContext(options)
    {
        public DbSet<Gadget> Gadgets => Set<Gadget>();

        // As Latch stores them on SQLite: UTC ticks, because SQLite cannot compare DateTimeOffset text.
        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Gadget>().Property(g => g.LastSeen).HasConversion(
                new ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, t => new DateTimeOffset(t, TimeSpan.Zero)));
    }
}
