using System.Net;
using System.Net.Sockets;
using System.Text;

namespace L4Balancer.IntegrationTests.Infrastructure;

internal static class SocketExtensions
{
    public static async Task<Socket> ConnectToAsync(IPEndPoint endPoint, IPAddress? from = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(endPoint, cancellationToken.CanBeCanceled ? cancellationToken : Deadline.After());
        return socket;
    }

    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[n..];
        }
    }

    public static Task SendTextAsync(this Socket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAllAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    /// <summary>Reads until EOF.</summary>
    public static async Task<byte[]> ReadToEndAsync(this Socket socket, CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return output.ToArray();
            }

            output.Write(buffer, 0, n);
        }
    }

    /// <summary>Reads one '\n'-terminated line (byte at a time: only for short greetings).</summary>
    public static async Task<string> ReadLineAsync(this Socket socket, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            var n = await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken);
            if (n == 0 || one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    /// <summary>
    /// Waits for the peer to end the connection and says how: 0 bytes (FIN) or a reset.
    /// </summary>
    public static async Task<SocketError> WaitForCloseAsync(this Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
            {
            }

            return SocketError.Success;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }

    public static void Reset(this Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Dispose();
    }
}
