using System.Reflection;

namespace Latch.Architecture.Tests;

/// <summary>
/// The layering of STYLE.md, read from the compiled assemblies' references: Protocols → nothing of ours;
/// Core → Protocols; Data.* → Core; Devices → Protocols at most; Server → everything.
/// </summary>
public sealed class DependencyRulesTests
{
    public static TheoryData<string, string[]> Allowed() => new()
    {
        { "Latch.Protocols", [] },
        { "Latch.Core", ["Latch.Protocols"] },
        { "Latch.Data.Sqlite", ["Latch.Core"] },
        { "Latch.Data.Postgres", ["Latch.Core"] },
        { "Latch.Devices", ["Latch.Protocols"] },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Assembly_ReferencesOnlyTheLayersBelowIt(string assembly, string[] allowed)
    {
        var ours = References(assembly).Where(r => r.StartsWith("Latch.", StringComparison.Ordinal)).ToList();
        Assert.All(ours, reference => Assert.Contains(reference, allowed));
    }

    [Fact]
    public void Protocols_UseTheBaseClassLibraryOnly() =>
        Assert.All(References("Latch.Protocols"), r => Assert.True(r is "System.Runtime" || r.StartsWith("System.", StringComparison.Ordinal), r));

    [Fact]
    public void Core_KnowsNoHttpHostAndNoDatabaseProvider() =>
        AssertReferencesNone("Latch.Core", ["Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Mvc", "Microsoft.AspNetCore.Routing",
            "Microsoft.AspNetCore.Hosting", "Microsoft.EntityFrameworkCore.Sqlite", "Microsoft.Data.Sqlite", "Npgsql"]);

    // Devices may serve HTTP: its stand-ins for Apple's services (Apple/FakeApns) really listen, on Kestrel. It still
    // knows no database and no MVC, and no layer of ours but Protocols (above).
    [Fact]
    public void Devices_KnowNoDatabaseAndNoMvc() =>
        AssertReferencesNone("Latch.Devices", ["Microsoft.AspNetCore.Mvc", "Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Npgsql"]);

    [Fact]
    public void Server_IsWhereTheLayersMeet()
    {
        var references = References("Latch.Server");
        Assert.Contains("Latch.Core", references);
        Assert.Contains("Latch.Data.Sqlite", references);
        Assert.Contains("Latch.Data.Postgres", references);
    }

    private static void AssertReferencesNone(string assembly, string[] forbidden) =>
        Assert.All(References(assembly), r => Assert.DoesNotContain(forbidden, f => r.StartsWith(f, StringComparison.Ordinal)));

    private static List<string> References(string assembly) =>
        Assembly.Load(assembly).GetReferencedAssemblies().Select(r => r.Name!).ToList();
}
