using System.Globalization;
using System.Text;

namespace L4Balancer.LoadTest.Net;

/// <summary>
/// The bytes between the <c>llm</c> client and the <c>serve --kind llm</c> simulator: plain
/// HTTP/1.1, one request per connection, so it passes through any L4 proxy untouched.
/// <code>
///   → POST /v1/completions?max_tokens=T HTTP/1.1, Content-Length: N, then N prompt bytes
///   ← (when the prefill ends) 200, Transfer-Encoding: chunked, X-Tokens: T, X-Served-By: ADDR,
///     and in the same write the first token; then one chunk per token, each a server-sent
///     event "data: token 0000001 …\n\n" of the simulator's chunk size; then the last chunk (0) and FIN.
/// </code>
/// The head goes out with the first token, not before it: an L4 proxy sees only bytes, so the
/// time to the first byte is then the time to the first token (queue wait + prefill).
/// </summary>
internal static class LlmWire
{
    public const string Path = "/v1/completions";

    public static ReadOnlySpan<byte> LastChunk => "0\r\n\r\n"u8;

    private const string EventPrefix = "data: token ";
    private const int IndexDigits = 7;

    /// <summary>The request head and a prompt of <paramref name="promptBytes"/> filler bytes.</summary>
    public static byte[] Request(int promptBytes, int maxTokens)
    {
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"POST {Path}?max_tokens={maxTokens} HTTP/1.1\r\nHost: llm\r\nContent-Type: text/plain\r\nContent-Length: {promptBytes}\r\n\r\n"));
        var request = new byte[head.Length + promptBytes];
        head.CopyTo(request, 0);
        for (var i = head.Length; i < request.Length; i++)
        {
            request[i] = (byte)('a' + i % 26);
        }

        return request;
    }

    public static byte[] ResponseHead(int tokens, string servedBy) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nX-Tokens: {tokens}\r\nX-Served-By: {servedBy}\r\n\r\n"));

    /// <summary>A complete response with a short text body, for errors and /metrics.</summary>
    public static byte[] Plain(int status, string reason, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
        return [.. head, .. bytes];
    }

    /// <summary>One token's chunk, framing included: "{size:x}\r\n", <paramref name="eventBytes"/> bytes of event, "\r\n".</summary>
    public static byte[] TokenFrame(int eventBytes)
    {
        var size = eventBytes.ToString("x", CultureInfo.InvariantCulture) + "\r\n";
        var frame = new byte[size.Length + eventBytes + 2];
        Encoding.ASCII.GetBytes(size, frame);
        var data = frame.AsSpan(size.Length, eventBytes);
        Encoding.ASCII.GetBytes(EventPrefix + new string('0', IndexDigits) + " ", data);
        for (var i = EventPrefix.Length + IndexDigits + 1; i < eventBytes - 2; i++)
        {
            data[i] = (byte)('a' + i % 26);
        }

        "\n\n"u8.CopyTo(data[^2..]);
        "\r\n"u8.CopyTo(frame.AsSpan(frame.Length - 2));
        return frame;
    }

    /// <summary>Writes the token's index into a frame from <see cref="TokenFrame"/>.</summary>
    public static void SetIndex(byte[] frame, int index)
    {
        var start = frame.AsSpan().IndexOf("\r\n"u8) + 2 + EventPrefix.Length;
        index.TryFormat(frame.AsSpan(start, IndexDigits), out _, "D7", CultureInfo.InvariantCulture);
    }
}
