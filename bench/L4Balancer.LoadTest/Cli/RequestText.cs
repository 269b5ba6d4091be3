using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace L4Balancer.LoadTest.Cli;

/// <summary>
/// The request bytes: <c>--request</c> text with C-style escapes (<c>\r \n \t \\ \xHH</c>) so a shell
/// line can carry CRLF and binary bytes.
/// </summary>
internal static class RequestText
{
    public static readonly byte[] KeepAliveGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();
    public static readonly byte[] CloseGet = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray();

    public static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes, [NotNullWhen(false)] out string? error)
    {
        var output = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                output.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }

            if (i + 1 >= text.Length)
            {
                return Fail("ends with a lone backslash", out bytes, out error);
            }

            var e = text[++i];
            switch (e)
            {
                case 'r': output.Add((byte)'\r'); break;
                case 'n': output.Add((byte)'\n'); break;
                case 't': output.Add((byte)'\t'); break;
                case '0': output.Add(0); break;
                case '\\': output.Add((byte)'\\'); break;
                case 'x' when i + 2 < text.Length
                    && byte.TryParse(text.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b):
                    output.Add(b);
                    i += 2;
                    break;
                default:
                    return Fail($"unknown escape \\{e} (use \\r \\n \\t \\0 \\\\ \\xHH)", out bytes, out error);
            }
        }

        if (output.Count == 0)
        {
            return Fail("is empty", out bytes, out error);
        }

        bytes = output.ToArray();
        error = null;
        return true;
    }

    private static bool Fail(string why, out byte[]? bytes, out string? error)
    {
        bytes = null;
        error = $"--request {why}";
        return false;
    }
}
