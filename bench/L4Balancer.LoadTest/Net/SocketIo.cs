using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace L4Balancer.LoadTest.Net;

/// <summary>Connect and send-all over a raw <see cref="Socket"/>; the awaitables are the socket's cached ones.</summary>
internal static class SocketIo
{
    public static Socket Create(IPEndPoint target) =>
        new(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    /// <summary>
    /// Connects within <paramref name="timeout"/>. Throws <see cref="SocketException"/> (refused, reset…)
    /// or <see cref="OperationCanceledException"/> (timeout, or <paramref name="stop"/>); the socket is
    /// disposed on failure. With <paramref name="source"/> the socket connects from that local address.
    /// </summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint target, TimeSpan timeout, CancellationToken stop, IPAddress? source = null)
    {
        var socket = Create(target);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(timeout);
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(target, deadline.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>A socket error as a short word for reports ("ConnectionRefused"), or the exception type.</summary>
    public static string Describe(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode.ToString(),
        OperationCanceledException => "timeout",
        ObjectDisposedException => "closed at the deadline",
        _ => e.GetType().Name + ": " + e.Message,
    };
}
