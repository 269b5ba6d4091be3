using System.Diagnostics.CodeAnalysis;

namespace L4Balancer.Core.Config;

/// <summary>Host name rules shared by SNI names and backend host names (RFC 1123 letters-digits-hyphens labels).</summary>
internal static class HostName
{
    private const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    /// <summary>
    /// Normalizes an SNI name the way the router compares them: lower case, no trailing dot. A wildcard is
    /// allowed only as a whole leading label, <c>*.suffix</c>, as in TLS certificates; <c>*</c> alone
    /// or <c>a.*.b</c> would never match what the operator meant.
    /// </summary>
    public static bool TryNormalizeServerName(string text, [NotNullWhen(true)] out string? name)
    {
        var lower = text.ToLowerInvariant();
        if (lower.EndsWith('.'))
        {
            lower = lower[..^1];
        }

        var suffix = lower.StartsWith("*.", StringComparison.Ordinal) ? lower[2..] : lower;
        name = IsValid(suffix) ? lower : null;
        return name is not null;
    }

    /// <summary>
    /// A DNS name to resolve. The last label may not be all digits: <c>10.0.0</c> is a mistyped
    /// address, and the resolver would read it inet_aton style as 10.0.0.0.
    /// </summary>
    public static bool IsValidHostName(string text)
    {
        if (!IsValid(text))
        {
            return false;
        }

        var lastLabel = text[(text.LastIndexOf('.') + 1)..];
        return !lastLabel.All(char.IsAsciiDigit);
    }

    private static bool IsValid(string name)
    {
        if (name.Length == 0 || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length == 0 || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
