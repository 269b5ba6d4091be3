using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// HAProxy's agent-check line, word for word (src/tcpcheck.c <c>tcpcheck_agent_expect_reply</c>,
/// src/server.c <c>server_parse_weight_change_request</c> and <c>server_parse_maxconn_change_request</c>):
/// words separated by spaces, tabs or commas, matched without regard to case; a weight is a word that
/// starts with a digit and holds a <c>%</c>, or <c>weight:</c> followed by one; an unknown word is
/// reported (the first one) and the rest of the line still applies, as HAProxy does.
/// </summary>
internal static class AgentReplyParser
{
    /// <summary>Parses one line, already cut at its first CR or LF.</summary>
    public static AgentReply Parse(ReadOnlySpan<char> line)
    {
        var admin = AgentState.None;
        var health = AgentState.None;
        string? weightWord = null;
        string? maxconnWord = null;
        string? error = null;
        string? description = null;
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c is ' ' or '\t' or ',')
            {
                i++;
                continue;
            }

            if (c == '#')
            {
                // A description runs to the end of the line; HAProxy skips the blanks after the sharp.
                description = line[(i + 1)..].TrimStart(" \t").ToString();
                break;
            }

            var end = i + 1;
            while (end < line.Length && line[end] is not (' ' or '\t' or ','))
            {
                end++;
            }

            var word = line[i..end];
            i = end;
            if (Is(word, "up"))
            {
                health = AgentState.Up;
            }
            else if (Is(word, "down"))
            {
                health = AgentState.Down;
            }
            else if (Is(word, "stopped"))
            {
                health = AgentState.Stopped;
            }
            else if (Is(word, "fail"))
            {
                health = AgentState.Fail;
            }
            else if (Is(word, "ready"))
            {
                admin = AgentState.Ready;
            }
            else if (Is(word, "drain"))
            {
                admin = AgentState.Drain;
            }
            else if (Is(word, "maint"))
            {
                admin = AgentState.Maint;
            }
            else if (char.IsAsciiDigit(word[0]) && word.Contains('%'))
            {
                weightWord = word.ToString();
            }
            else if (word.StartsWith("maxconn:", StringComparison.OrdinalIgnoreCase))
            {
                maxconnWord = word["maxconn:".Length..].ToString();
            }
            else if (word.StartsWith("weight:", StringComparison.OrdinalIgnoreCase))
            {
                weightWord = word["weight:".Length..].ToString();
            }
            else
            {
                error ??= word.ToString();
            }
        }

        string? warning = null;
        int? percent = null, absolute = null, maxconn = null;
        if (weightWord is not null)
        {
            warning = ParseWeight(weightWord, out percent, out absolute);
        }

        if (maxconnWord is not null)
        {
            var message = ParseMaxConnections(maxconnWord, out maxconn);
            warning ??= message;
        }

        return new AgentReply(admin, health, percent, absolute, maxconn, description, error, warning);
    }

    private static bool Is(ReadOnlySpan<char> word, string keyword) => word.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    /// <summary>HAProxy's <c>server_parse_weight_change_request</c>: <c>N%</c> relative (clamped at 25600), <c>N</c> absolute 0–256.</summary>
    private static string? ParseWeight(string text, out int? percent, out int? absolute)
    {
        percent = null;
        absolute = null;
        if (text.Length == 0)
        {
            return "Require <weight> or <weight%>.";
        }

        if (!StrToL(text, out var value, out var rest))
        {
            return "Empty weight string empty or preceded by garbage";
        }

        if (rest is "%")
        {
            if (value < 0)
            {
                return "Relative weight must be positive.";
            }

            percent = (int)Math.Min(value, BackendState.MaxAgentPercent);
            return null;
        }

        if (value is < 0 or > 256)
        {
            return "Absolute weight can only be between 0 and 256 inclusive.";
        }

        if (rest.Length != 0)
        {
            return "Trailing garbage in weight string";
        }

        absolute = (int)value;
        return null;
    }

    /// <summary>
    /// HAProxy's <c>server_parse_maxconn_change_request</c>. HAProxy takes any integer; a negative one is
    /// refused here (there is no sensible cap below zero), 0 means no limit as in HAProxy.
    /// </summary>
    private static string? ParseMaxConnections(string text, out int? maxconn)
    {
        maxconn = null;
        if (text.Length == 0)
        {
            return "Require <maxconn>.";
        }

        if (!StrToL(text, out var value, out var rest))
        {
            return "maxconn string empty or preceded by garbage";
        }

        if (rest.Length != 0)
        {
            return "Trailing garbage in maxconn string";
        }

        if (value < 0)
        {
            return "maxconn must be >= 0";
        }

        maxconn = (int)Math.Min(value, int.MaxValue);
        return null;
    }

    /// <summary>C's <c>strtol(text, &amp;end, 10)</c>: an optional sign and digits (saturating); false when there are no digits.</summary>
    private static bool StrToL(string text, out long value, out string rest)
    {
        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] is '+' or '-')
        {
            negative = text[i] == '-';
            i++;
        }

        var start = i;
        long magnitude = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            magnitude = magnitude > (long.MaxValue - 9) / 10 ? long.MaxValue : magnitude * 10 + (text[i] - '0');
            i++;
        }

        value = negative ? -magnitude : magnitude;
        rest = text[i..];
        return i > start;
    }
}
