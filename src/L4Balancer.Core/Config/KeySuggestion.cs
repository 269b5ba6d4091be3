namespace L4Balancer.Core.Config;

/// <summary>
/// "Did you mean" for an unknown key: the closest of the keys valid in that table, by edit distance
/// (optimal string alignment: insert, delete, substitute, or swap two neighbours, each 1), compared
/// without regard to case. Only a close one is suggested, as rustc does for misspelt names: at most
/// one edit per three characters of the unknown key (one edit for up to five characters, two for up
/// to eight, …), and never more than three. A tie goes to the key listed first.
/// </summary>
internal static class KeySuggestion
{
    private const int MaxDistance = 3;

    /// <returns>The suggestion, or null when no key is close enough.</returns>
    public static string? Closest(string unknown, IEnumerable<string> valid)
    {
        var allowed = Math.Min(MaxDistance, Math.Max(1, unknown.Length / 3));
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in valid)
        {
            // The distance is at least the difference in length; this also keeps a key of a megabyte
            // from costing a megabyte-sized table.
            if (string.Equals(candidate, unknown, StringComparison.Ordinal) || Math.Abs(candidate.Length - unknown.Length) > allowed)
            {
                continue;
            }

            var distance = Distance(unknown.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
