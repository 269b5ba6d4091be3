using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.Core.Health;

/// <summary>
/// SPEC's active check: a TCP connect that completes within the timeout, then a plain close. A
/// backend that expects PROXY protocol first gets a header saying "no client" (v1 <c>PROXY UNKNOWN</c>,
/// v2 <c>LOCAL</c>), as HAProxy's <c>check-send-proxy</c> does: without it, nginx's
/// <c>listen … proxy_protocol</c> logs a broken header for every check.
/// </summary>
internal sealed class TcpConnectProbe(TimeProvider timeProvider) : IHealthProbe
{
    public async ValueTask<bool> ProbeAsync(IPEndPoint endPoint, TimeSpan timeout, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            if (proxyProtocol != ProxyProtocolMode.Off)
            {
                var header = new byte[ProxyHeaderWriter.BufferSize];
                var length = ProxyHeaderWriter.Write(proxyProtocol, null, null, header);
                await socket.SendAsync(header.AsMemory(0, length), SocketFlags.None, linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }

        // A graceful close (FIN) rather than HAProxy's RST: the backend sees an ordinary short
        // connection, and the TIME_WAIT it leaves is on our side, a few per backend per minute.
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The backend closed first; the check still passed.
        }

        return true;
    }
}
