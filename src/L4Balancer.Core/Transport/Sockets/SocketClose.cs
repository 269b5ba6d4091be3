using System.Net.Sockets;

namespace L4Balancer.Core.Transport.Sockets;

internal static class SocketClose
{
    /// <summary>
    /// Closes <paramref name="socket"/> abortively (RST) with <paramref name="reset"/>, else gracefully
    /// (FIN). Safe on a socket already closed: the first close decides.
    /// </summary>
    public static void Close(Socket socket, bool reset)
    {
        try
        {
            if (reset)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            else
            {
                // .NET turns Dispose into an abortive close when it has to cancel a pending receive,
                // unless the send side was shut down first (SafeSocketHandle.CloseAsIs): a graceful
                // close (rejection, idle timeout, drain) must say Shutdown to send FIN, not RST.
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed or reset by the peer.
        }

        socket.Dispose();
    }
}
