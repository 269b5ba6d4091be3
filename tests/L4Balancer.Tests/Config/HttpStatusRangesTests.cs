using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public class HttpStatusRangesTests
{
    [Theory]
    [InlineData("200", "200", 200, 201)]
    [InlineData("200-399", "200-399", 302, 400)]
    [InlineData(" 200 , 204-206 ", "200,204-206", 206, 203)]
    [InlineData("500-500", "500", 500, 499)]
    public void Parses_codes_and_ranges(string text, string normalized, int inside, int outside)
    {
        Assert.True(HttpStatusRanges.TryParse(text, out var ranges, out var error), error);
        Assert.Equal(normalized, ranges.Text);
        Assert.True(ranges.Contains(inside));
        Assert.False(ranges.Contains(outside));
    }

    [Theory]
    [InlineData("")]
    [InlineData("99")]
    [InlineData("600")]
    [InlineData("2xx")]
    [InlineData("300-200")]
    [InlineData("200,")]
    [InlineData("-200")]
    public void Refuses_what_is_not_a_status(string text)
    {
        Assert.False(HttpStatusRanges.TryParse(text, out _, out var error));
        Assert.Contains("100-599", error, StringComparison.Ordinal);
    }
}
