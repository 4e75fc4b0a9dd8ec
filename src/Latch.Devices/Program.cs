namespace Latch.Devices;

// `dotnet run --project src/Latch.Devices -- apple --server ... --token ... --user ...`: see Cli/.
internal static class Program
{
    public static Task<int> Main(string[] args) => Cli.DevicesCommandLine.InvokeAsync(args);
}
