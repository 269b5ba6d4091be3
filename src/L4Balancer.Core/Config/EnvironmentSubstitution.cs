using System.Text;

namespace L4Balancer.Core.Config;

/// <summary>
/// <c>${NAME}</c> in a string value becomes the environment variable's value (issue 17), as in
/// docker compose and Envoy's bootstrap. <c>$${</c> is a literal <c>${</c>; every other <c>$</c> is
/// itself, so a value written before substitution existed (a password with a <c>$</c> in it) keeps its
/// meaning unless it holds <c>${</c>. An unset variable is an error, never an empty string: an empty
/// bind address or backend would otherwise surface far from its cause. A variable set to the empty
/// string is substituted as empty, as the shell does.
/// </summary>
internal static class EnvironmentSubstitution
{
    /// <param name="lookup">The environment (a seam for tests): null for an unset variable.</param>
    /// <param name="errors">Each problem once, e.g. <c>environment variable "X" is not set</c>.</param>
    /// <returns>The text with every <c>${NAME}</c> replaced; meaningful only when <paramref name="errors"/> is empty.</returns>
    public static string Expand(string text, Func<string, string?> lookup, List<string> errors)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$')
            {
                result.Append(c);
                i++;
                continue;
            }

            if (text.AsSpan(i).StartsWith("$${", StringComparison.Ordinal))
            {
                result.Append("${");
                i += 3;
                continue;
            }

            if (!text.AsSpan(i).StartsWith("${", StringComparison.Ordinal))
            {
                result.Append(c);
                i++;
                continue;
            }

            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                Report(errors, "\"${\" is not closed by \"}\" (write $${ for a literal \"${\")");
                return text;
            }

            var name = text[(i + 2)..close];
            if (!IsName(name))
            {
                Report(errors, $"\"${{{name}}}\" is not an environment variable name (letters, digits and \"_\", not starting with a digit; write $${{ for a literal \"${{\")");
            }
            else if (lookup(name) is { } value)
            {
                result.Append(value);
            }
            else
            {
                Report(errors, $"environment variable \"{name}\" is not set");
            }

            i = close + 1;
        }

        return result.ToString();
    }

    private static void Report(List<string> errors, string error)
    {
        if (!errors.Contains(error))
        {
            errors.Add(error);
        }
    }

    private static bool IsName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
