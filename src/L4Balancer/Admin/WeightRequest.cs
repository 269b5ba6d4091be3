using System.Globalization;
using System.Text.Json;

namespace L4Balancer.Admin;

/// <summary>
/// The body of <c>POST …/backends/{address}/weight</c>: <c>{"weight": N}</c>, N an integer from 0 to
/// <see cref="int.MaxValue"/>. The range is the config's (<c>weight</c> has no upper bound there beyond a
/// 32-bit integer) plus 0, so that any configured weight can be set back through the route and 0 takes the
/// backend out of rotation, as HAProxy's <c>set weight 0</c> does. Anything else is refused with a message
/// that says what was wrong, like the config's own errors; an unknown key too (a typo like <c>"wieght"</c>
/// must not be a silent no-op).
/// </summary>
internal static class WeightRequest
{
    public const int MaxWeight = int.MaxValue;

    public const string Shape = "the body must be JSON {\"weight\": N}, N an integer from 0 to 2147483647";

    /// <summary>The weight asked for, or the reason the body is refused.</summary>
    public static (int? Weight, string? Error) Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Length == 0)
        {
            return (null, $"no body: {Shape}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return (null, $"the body is not JSON ({ex.Message}): {Shape}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, $"the body is {Describe(root.ValueKind)}, not an object: {Shape}");
            }

            JsonElement? weight = null;
            foreach (var property in root.EnumerateObject())
            {
                if (!string.Equals(property.Name, "weight", StringComparison.Ordinal))
                {
                    return (null, $"unknown key \"{property.Name}\": {Shape}");
                }

                weight = property.Value;
            }

            if (weight is not { } value)
            {
                return (null, $"\"weight\" is missing: {Shape}");
            }

            if (value.ValueKind != JsonValueKind.Number)
            {
                return (null, $"\"weight\" must be an integer, not {Describe(value.ValueKind)}");
            }

            var raw = value.GetRawText();
            if (!value.TryGetInt64(out var number))
            {
                // Either a fraction or exponent (1.5, 2.0, 1e3) or an integer beyond 64 bits.
                return raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0
                    ? (null, $"\"weight\" must be an integer (got {raw})")
                    : (null, $"\"weight\" must be at most {MaxWeight} (got {raw})");
            }

            return number switch
            {
                < 0 => (null, $"\"weight\" must be 0 or more (got {raw}); 0 takes the backend out of rotation"),
                > MaxWeight => (null, string.Create(CultureInfo.InvariantCulture, $"\"weight\" must be at most {MaxWeight} (got {raw})")),
                _ => ((int)number, null),
            };
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "a number",
    };
}
