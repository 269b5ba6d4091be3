using System.Buffers.Text;
using System.Text;
using L4Balancer.LoadTest.Net;

namespace L4Balancer.LoadTest.Server.Llm;

/// <summary>
/// The request head the simulator understands: <c>POST /v1/completions?max_tokens=N</c> with a
/// Content-Length body (the prompt: only its length matters), or <c>GET /metrics</c>.
/// The wanted output tokens ride in the query so the body can be any bytes of any length.
/// </summary>
internal readonly struct LlmRequestHead
{
    public bool IsPost { get; private init; }

    public bool IsMetrics { get; private init; }

    /// <summary>0 without a Content-Length header.</summary>
    public long ContentLength { get; private init; }

    /// <summary>The query's <c>max_tokens</c>; null when absent.</summary>
    public int? MaxTokens { get; private init; }

    /// <summary>Parses the head without its final blank line; false (and why) on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out LlmRequestHead result, out string? error)
    {
        result = default;
        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        var firstSpace = requestLine.IndexOf((byte)' ');
        var lastSpace = requestLine.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace || !requestLine[(lastSpace + 1)..].StartsWith("HTTP/1."u8))
        {
            error = "not an HTTP/1.x request line";
            return false;
        }

        var method = requestLine[..firstSpace];
        var target = requestLine[(firstSpace + 1)..lastSpace];
        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        int? maxTokens = null;
        if (query >= 0 && !TryMaxTokens(target[(query + 1)..], out maxTokens))
        {
            error = $"max_tokens must be a whole number from 1 to {LlmSettings.MaxTokens}";
            return false;
        }

        long contentLength = 0;
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            if (!HttpHeaderLines.TryTake(ref rest, out var name, out var raw))
            {
                error = "a header line without a colon";
                return false;
            }

            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                var value = raw.Trim((byte)' ');
                if (!Utf8Parser.TryParse(value, out contentLength, out var used) || used != value.Length || contentLength < 0)
                {
                    error = "a Content-Length that is not a whole number";
                    return false;
                }
            }
        }

        var isPost = method.SequenceEqual("POST"u8);
        var isMetrics = method.SequenceEqual("GET"u8) && path.SequenceEqual("/metrics"u8);
        result = new LlmRequestHead { IsPost = isPost, IsMetrics = isMetrics, ContentLength = contentLength, MaxTokens = maxTokens };
        error = isPost || isMetrics ? null : $"{Encoding.ASCII.GetString(method)} {Encoding.ASCII.GetString(path)}: only POST (a prompt) and GET /metrics";
        return error is null;
    }

    private static bool TryMaxTokens(ReadOnlySpan<byte> query, out int? maxTokens)
    {
        maxTokens = null;
        foreach (var range in query.Split((byte)'&'))
        {
            var pair = query[range];
            if (!pair.StartsWith("max_tokens="u8))
            {
                continue;
            }

            var value = pair["max_tokens="u8.Length..];
            if (!Utf8Parser.TryParse(value, out int tokens, out var used) || used != value.Length || tokens < 1 || tokens > LlmSettings.MaxTokens)
            {
                return false;
            }

            maxTokens = tokens;
        }

        return true;
    }
}
