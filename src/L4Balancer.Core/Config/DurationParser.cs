using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace L4Balancer.Core.Config;

/// <summary>
/// Config durations: a number (decimals allowed) and a unit, <c>ms</c>, <c>s</c>, <c>m</c> or <c>h</c>:
/// <c>"250ms"</c>, <c>"1.5s"</c>, <c>"15m"</c>, <c>"1h"</c>. A bare number is refused: whether
/// <c>30</c> means seconds or minutes is exactly the guess that ends in an outage.
/// </summary>
internal static class DurationParser
{
    /// <summary>
    /// The longest duration accepted. Timers and socket options take whole milliseconds as an
    /// <see cref="int"/>, so anything longer would fail later, far from the config line.
    /// </summary>
    public static readonly TimeSpan MaxValue = TimeSpan.FromMilliseconds(int.MaxValue);

    private const string Units = "ms, s, m or h";

    public static bool TryParse(string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        var unitStart = 0;
        while (unitStart < text.Length && (char.IsAsciiDigit(text[unitStart]) || text[unitStart] == '.'))
        {
            unitStart++;
        }

        var numberText = text[..unitStart];
        var unit = text[unitStart..];
        if (text.StartsWith('-'))
        {
            error = $"\"{text}\" is negative";
            return false;
        }

        if (numberText.Length == 0 || !decimal.TryParse(numberText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            error = $"\"{text}\" is not a duration (write a number and a unit: \"250ms\", \"5s\", \"15m\", \"1h\")";
            return false;
        }

        if (unit.Length == 0)
        {
            error = $"\"{text}\" has no unit ({Units}), e.g. \"{text}s\"";
            return false;
        }

        long ticksPerUnit = unit switch
        {
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            "h" => TimeSpan.TicksPerHour,
            _ => 0,
        };
        if (ticksPerUnit == 0)
        {
            error = $"\"{text}\" has an unknown unit \"{unit}\" (use {Units})";
            return false;
        }

        // Compare before multiplying: decimal overflows (throws) near 7.9e28.
        if (number > (decimal)MaxValue.Ticks / ticksPerUnit)
        {
            error = $"\"{text}\" is too long (at most {(int)MaxValue.TotalHours}h)";
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Truncate(number * ticksPerUnit));
        error = null;
        return true;
    }

    /// <summary>The shortest exact spelling in the config's own syntax, e.g. <c>5s</c>, <c>30m</c>, <c>1500ms</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var ticks = value.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        if (ticks % TimeSpan.TicksPerHour == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerHour}h");
        }

        if (ticks % TimeSpan.TicksPerMinute == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerMinute}m");
        }

        if (ticks % TimeSpan.TicksPerSecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerSecond}s");
        }

        var milliseconds = (decimal)ticks / TimeSpan.TicksPerMillisecond;
        return milliseconds.ToString("0.####", CultureInfo.InvariantCulture) + "ms";
    }
}
