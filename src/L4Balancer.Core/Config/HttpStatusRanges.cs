using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace L4Balancer.Core.Config;

/// <summary>
/// <c>expect_status</c>: HTTP status codes and ranges, e.g. <c>"200-399"</c> or <c>"200,204,301-302"</c>.
/// Equal when written alike (after normalizing), so a reload that keeps the table keeps the checks running.
/// </summary>
internal sealed class HttpStatusRanges : IEquatable<HttpStatusRanges>
{
    private readonly (int Low, int High)[] _ranges;

    private HttpStatusRanges((int Low, int High)[] ranges)
    {
        _ranges = ranges;
        Text = string.Join(',', ranges.Select(r => r.Low == r.High
            ? r.Low.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{r.Low}-{r.High}")));
    }

    /// <summary>HAProxy's <c>option httpchk</c> default: any 2xx or 3xx passes.</summary>
    public static HttpStatusRanges Default { get; } = new([(200, 399)]);

    /// <summary>Normalized, e.g. <c>200-399</c>.</summary>
    public string Text { get; }

    public bool Contains(int status) => _ranges.Any(r => status >= r.Low && status <= r.High);

    public static bool TryParse(string text, [NotNullWhen(true)] out HttpStatusRanges? ranges, [NotNullWhen(false)] out string? error)
    {
        ranges = null;
        var parsed = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var lowText = dash < 0 ? part : part[..dash];
            var highText = dash < 0 ? part : part[(dash + 1)..];
            if (!TryParseCode(lowText, out var low) || !TryParseCode(highText, out var high) || high < low)
            {
                error = $"\"{text}\" must be status codes (100-599) or ranges, e.g. \"200-399\" or \"200,204\"";
                return false;
            }

            parsed.Add((low, high));
        }

        ranges = new HttpStatusRanges([.. parsed]);
        error = null;
        return true;
    }

    private static bool TryParseCode(string text, out int code) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out code) && code is >= 100 and <= 599;

    public bool Equals(HttpStatusRanges? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as HttpStatusRanges);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}
