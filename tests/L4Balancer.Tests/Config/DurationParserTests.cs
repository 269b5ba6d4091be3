using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public class DurationParserTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("15m", 900_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0.5h", 1_800_000)]
    [InlineData("0s", 0)]
    [InlineData(".5s", 500)]
    public void Parses_numbers_with_units(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Fact]
    public void Keeps_sub_millisecond_precision()
    {
        Assert.True(DurationParser.TryParse("1.5ms", out var value, out _));
        Assert.Equal(TimeSpan.FromTicks(15_000), value);
    }

    [Theory]
    [InlineData("5", "\"5\" has no unit (ms, s, m or h), e.g. \"5s\"")]
    [InlineData("5x", "\"5x\" has an unknown unit \"x\" (use ms, s, m or h)")]
    [InlineData("5S", "\"5S\" has an unknown unit \"S\" (use ms, s, m or h)")]
    [InlineData("1h30m", "\"1h30m\" has an unknown unit \"h30m\" (use ms, s, m or h)")]
    [InlineData("-5s", "\"-5s\" is negative")]
    [InlineData("", "\"\" is not a duration (write a number and a unit: \"250ms\", \"5s\", \"15m\", \"1h\")")]
    [InlineData("s", "\"s\" is not a duration (write a number and a unit: \"250ms\", \"5s\", \"15m\", \"1h\")")]
    [InlineData("1.2.3s", "\"1.2.3s\" is not a duration (write a number and a unit: \"250ms\", \"5s\", \"15m\", \"1h\")")]
    [InlineData("597h", "\"597h\" is too long (at most 596h)")]
    [InlineData("99999999999999999999999999h", "\"99999999999999999999999999h\" is too long (at most 596h)")]
    public void Rejects_with_a_reason(string text, string expected)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(1_500, "1500ms")]
    [InlineData(5_000, "5s")]
    [InlineData(90_000, "90s")]
    [InlineData(1_800_000, "30m")]
    [InlineData(7_200_000, "2h")]
    [InlineData(0.5, "0.5ms")]
    public void Formats_in_the_config_syntax(double milliseconds, string expected)
    {
        var value = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Equal(expected, DurationParser.Format(value));
        Assert.True(DurationParser.TryParse(expected, out var parsed, out _));
        Assert.Equal(value, parsed);
    }
}
