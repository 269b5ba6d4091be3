using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public class ByteSizeParserTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("1500", 1500)]
    [InlineData("1500B", 1500)]
    [InlineData("64KiB", 65_536)]
    [InlineData("10kB", 10_000)]
    [InlineData("10KB", 10_000)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("2GB", 2_000_000_000)]
    [InlineData("1TB", 1_000_000_000_000)]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("1GiB", 1_073_741_824)]
    [InlineData("1TiB", 1_099_511_627_776)]
    [InlineData("1.5KiB", 1536)]
    [InlineData("0.5kB", 500)]
    public void Parses_sizes(string text, long expected)
    {
        Assert.True(ByteSizeParser.TryParseSize(text, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("50MB/s", 50_000_000)]
    [InlineData("100MB/s", 100_000_000)]
    [InlineData("1GiB/s", 1_073_741_824)]
    [InlineData("100MB", 100_000_000)]
    [InlineData("1000/s", 1000)]
    [InlineData("1000B/s", 1000)]
    public void Parses_rates_with_or_without_per_second(string text, long expected)
    {
        Assert.True(ByteSizeParser.TryParseRate(text, out var bytesPerSecond, out var error), error);
        Assert.Equal(expected, bytesPerSecond);
    }

    [Theory]
    [InlineData("50mb", "\"50mb\" has an unknown unit \"mb\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)")]
    [InlineData("50M", "\"50M\" has an unknown unit \"M\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)")]
    [InlineData("50 MB", "\"50 MB\" has an unknown unit \" MB\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)")]
    [InlineData("-1KiB", "\"-1KiB\" is negative")]
    [InlineData("1.5B", "\"1.5B\" is not a whole number of bytes")]
    [InlineData("10000000TB", "\"10000000TB\" is too large")]
    [InlineData("99999999999999999999999999TiB", "\"99999999999999999999999999TiB\" is too large")]
    [InlineData("KiB", "\"KiB\" is not a size (e.g. \"64KiB\", \"10MB\" or a number of bytes)")]
    [InlineData("", "\"\" is not a size (e.g. \"64KiB\", \"10MB\" or a number of bytes)")]
    [InlineData("64KiB/s", "\"64KiB/s\" is a rate; a size has no \"/s\"")]
    public void Rejects_sizes_with_a_reason(string text, string expected)
    {
        Assert.False(ByteSizeParser.TryParseSize(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("fast", "\"fast\" is not a rate (e.g. \"50MB/s\", \"1GiB/s\" or a number of bytes per second)")]
    [InlineData("/s", "\"/s\" is not a rate (e.g. \"50MB/s\", \"1GiB/s\" or a number of bytes per second)")]
    [InlineData("50MB/h", "\"50MB/h\" has an unknown unit \"MB/h\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)")]
    public void Rejects_rates_with_a_reason(string text, string expected)
    {
        Assert.False(ByteSizeParser.TryParseRate(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1500, "1500B")]
    [InlineData(65_536, "64KiB")]
    [InlineData(100_000_000, "100MB")]
    [InlineData(1_073_741_824, "1GiB")]
    [InlineData(10_000, "10kB")]
    public void Formats_with_the_largest_exact_unit(long bytes, string expected)
    {
        Assert.Equal(expected, ByteSizeParser.Format(bytes));
        Assert.True(ByteSizeParser.TryParseSize(expected, out var parsed, out _));
        Assert.Equal(bytes, parsed);
    }
}
