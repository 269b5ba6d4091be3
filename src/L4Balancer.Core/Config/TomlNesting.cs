namespace L4Balancer.Core.Config;

/// <summary>
/// Finds where arrays and inline tables first nest too deep. Tomlyn throws for that without a
/// position (its exception's line, span and offset are all empty), and an operator needs the line.
/// Brackets and braces are counted outside strings and comments; table headers open and close on
/// their own line, so they never add to a value's depth.
/// </summary>
internal static class TomlNesting
{
    /// <summary>The 1-based line where <paramref name="depth"/> containers are first open at once; null if never.</summary>
    public static int? LineReaching(string text, int depth)
    {
        var line = 1;
        var open = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\n':
                    line++;
                    break;
                case '#':
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '"' or '\'':
                    i = SkipString(text, i, ref line);
                    break;
                case '[' or '{':
                    if (++open >= depth)
                    {
                        return line;
                    }

                    break;
                case ']' or '}':
                    open = Math.Max(0, open - 1);
                    break;
            }
        }

        return null;
    }

    /// <summary>Returns the index of the string's last character (its closing quote, or the end of the text).</summary>
    private static int SkipString(string text, int start, ref int line)
    {
        var quote = text[start];
        var multiline = start + 2 < text.Length && text[start + 1] == quote && text[start + 2] == quote;
        var escapes = quote == '"';
        var i = start + (multiline ? 3 : 1);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                if (!multiline)
                {
                    // An unterminated single-line string: Tomlyn reports it; resume at the newline.
                    return i - 1;
                }

                line++;
            }
            else if (escapes && c == '\\')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    line++;
                }

                i++;
            }
            else if (c == quote && (!multiline || (i + 2 < text.Length && text[i + 1] == quote && text[i + 2] == quote)))
            {
                // A multiline string may end with up to two extra quotes before its delimiter ("""a"""").
                var end = multiline ? i + 2 : i;
                while (multiline && end + 1 < text.Length && text[end + 1] == quote && end - i < 4)
                {
                    end++;
                }

                return end;
            }
        }

        return text.Length - 1;
    }
}
