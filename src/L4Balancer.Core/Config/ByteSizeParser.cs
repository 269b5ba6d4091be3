using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace L4Balancer.Core.Config;

/// <summary>
/// Byte sizes (<c>"64KiB"</c>) and rates (<c>"50MB/s"</c>): a number and an optional unit, decimal
/// (<c>kB</c>/<c>KB</c>, <c>MB</c>, <c>GB</c>, <c>TB</c>: powers of 1000) or binary (<c>KiB</c>,
/// <c>MiB</c>, <c>GiB</c>, <c>TiB</c>: powers of 1024); no unit or <c>B</c> means bytes. Rates may end
/// in <c>/s</c>. Units are case-sensitive on purpose: <c>mb</c> could mean megabits as easily as megabytes.
/// </summary>
internal static class ByteSizeParser
{
    private const string Units = "B, kB, MB, GB, TB, KiB, MiB, GiB or TiB";

    private static readonly (string Unit, long Factor)[] Multipliers =
    [
        ("B", 1),
        ("kB", 1000), ("KB", 1000), ("MB", 1000_000), ("GB", 1000_000_000), ("TB", 1000_000_000_000),
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
    ];

    /// <summary>A size in bytes; a trailing <c>/s</c> is refused.</summary>
    public static bool TryParseSize(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        if (text.EndsWith("/s", StringComparison.Ordinal))
        {
            bytes = 0;
            error = $"\"{text}\" is a rate; a size has no \"/s\"";
            return false;
        }

        return TryParse(text, text, "a size (e.g. \"64KiB\", \"10MB\" or a number of bytes)", out bytes, out error);
    }

    /// <summary>A rate in bytes per second; <c>/s</c> is optional (<c>"100MB/s"</c> = <c>"100MB"</c>).</summary>
    public static bool TryParseRate(string text, out long bytesPerSecond, [NotNullWhen(false)] out string? error)
    {
        var amount = text.EndsWith("/s", StringComparison.Ordinal) ? text[..^2] : text;
        return TryParse(text, amount, "a rate (e.g. \"50MB/s\", \"1GiB/s\" or a number of bytes per second)", out bytesPerSecond, out error);
    }

    /// <summary>An exact spelling with the largest unit that divides the value, e.g. <c>64KiB</c>, <c>100MB</c>, <c>1500B</c>.</summary>
    public static string Format(long bytes)
    {
        var best = "B";
        var bestValue = bytes;
        foreach (var (unit, factor) in Multipliers)
        {
            // "KB" is an alias of "kB"; print the SI spelling.
            if (unit == "KB" || bytes == 0 || bytes % factor != 0 || bytes / factor >= bestValue)
            {
                continue;
            }

            best = unit;
            bestValue = bytes / factor;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bestValue}{best}");
    }

    private static bool TryParse(string text, string amount, string what, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        if (text.StartsWith('-'))
        {
            error = $"\"{text}\" is negative";
            return false;
        }

        var unitStart = 0;
        while (unitStart < amount.Length && (char.IsAsciiDigit(amount[unitStart]) || amount[unitStart] == '.'))
        {
            unitStart++;
        }

        if (unitStart == 0 || !decimal.TryParse(amount.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            error = $"\"{text}\" is not {what}";
            return false;
        }

        var unit = amount[unitStart..];
        long factor = 1;
        if (unit.Length > 0)
        {
            var index = Array.FindIndex(Multipliers, m => string.Equals(m.Unit, unit, StringComparison.Ordinal));
            if (index < 0)
            {
                error = $"\"{text}\" has an unknown unit \"{unit}\" (use {Units})";
                return false;
            }

            factor = Multipliers[index].Factor;
        }

        // Compare before multiplying: decimal overflows (throws) near 7.9e28.
        if (number > (decimal)long.MaxValue / factor)
        {
            error = $"\"{text}\" is too large";
            return false;
        }

        var value = number * factor;
        if (value != decimal.Truncate(value))
        {
            error = $"\"{text}\" is not a whole number of bytes";
            return false;
        }

        bytes = (long)value;
        error = null;
        return true;
    }
}
