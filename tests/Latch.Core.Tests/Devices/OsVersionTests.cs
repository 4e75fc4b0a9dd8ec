using CsCheck;
using Latch.Core.Devices;

namespace Latch.Core.Tests.Devices;

public sealed class OsVersionTests
{
    [Theory]
    [InlineData("6.0.1", "7.0", -1)]
    [InlineData("7", "7.0", 0)]
    [InlineData("7.0.0.0", "7", 0)]
    [InlineData("10.0.15062", "10.0.15063", -1)]
    [InlineData("10.0.15063.0", "10.0.15063", 0)]
    [InlineData("10.0.15254.1", "10.0.15063", 1)]
    [InlineData("6.10", "6.9", 1)]
    [InlineData("17.5.1", "17.5", 1)]
    public void Compare_IsByNumericComponent(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(OsVersion.Parse(left).CompareTo(OsVersion.Parse(right))));

    [Fact]
    public void Build_IsTheThirdComponent() => Assert.Equal(15063, OsVersion.Parse("10.0.15063.1").Build);

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("seven")]
    [InlineData("7.x")]
    [InlineData("7..1")]
    [InlineData("-1.0")]
    [InlineData("1.2.3.4.5")]
    [InlineData("99999999999")]
    [InlineData("7.0 beta")]
    public void Parse_Unparsable_ThrowsFormatExceptionNamingTheText(string? text)
    {
        var error = Assert.Throws<FormatException>(() => OsVersion.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
        Assert.False(OsVersion.TryParse(text, out _));
    }

    [Fact]
    public void ParseOfToString_RoundTrips_AndOrderMatchesTheComponents() =>
        Gen.Int[0, 20_000].Array[1, 4].Select(Gen.Int[0, 20_000].Array[1, 4]).Sample((a, b) =>
        {
            var left = OsVersion.Of(a);
            var right = OsVersion.Of(b);
            Assert.Equal(left, OsVersion.Parse(left.ToString()));
            var padded = (int[] c) => c.Concat(Enumerable.Repeat(0, 4 - c.Length)).ToArray();
            var expected = padded(a).Zip(padded(b), (x, y) => x.CompareTo(y)).FirstOrDefault(o => o != 0);
            Assert.Equal(Math.Sign(expected), Math.Sign(left.CompareTo(right)));
            Assert.Equal(expected == 0, left.GetHashCode() == right.GetHashCode() && left == right);
        });
}
