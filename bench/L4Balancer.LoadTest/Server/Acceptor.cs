using System.Net.Sockets;

namespace L4Balancer.LoadTest.Server;

/// <summary>The accept step the in-process servers share.</summary>
internal static class Acceptor
{
    /// <summary>The next accepted socket (TCP_NODELAY on), or null once <paramref name="stop"/> fired or the listener closed; a failed accept is skipped.</summary>
    public static async Task<Socket?> NextAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptAsync(stop).ConfigureAwait(false);
                socket.NoDelay = true;
                return socket;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException)
            {
                // The client gave up before the accept (ECONNABORTED) or a transient failure: next one.
            }
        }

        return null;
    }
}
