using System.Net.Sockets;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>The receiving side of PROXY protocol, as a backend that expects it would do it.</summary>
internal static class ProxyHeaderReader
{
    /// <summary>
    /// Reads until <see cref="ProxyHeaderParser"/> has a whole header or rejects the bytes; returns the
    /// result and whatever arrived after the header (the client's first bytes). End of stream before a
    /// whole header comes back as <see cref="ProxyHeaderStatus.Incomplete"/>: a truncated header.
    /// </summary>
    public static async Task<(ProxyHeaderParseResult Result, byte[] After)> ReadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            filled += received;
            var result = ProxyHeaderParser.Parse(buffer.AsSpan(0, filled));
            if (result.IsComplete)
            {
                return (result, buffer[result.Header!.Length..filled]);
            }

            if (result.IsInvalid || received == 0 || filled == buffer.Length)
            {
                return (result, []);
            }
        }
    }
}
