using System.Net.Sockets;
using System.Text;

namespace L4Balancer.IntegrationTests.Infrastructure;

internal static class Handlers
{
    /// <summary>Echo until EOF, then pass the EOF on (half-close).</summary>
    public static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
    }

    public static async Task NamedEchoAsync(Socket socket, string name)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(name + "\n"), SocketFlags.None);
        await EchoAsync(socket);
    }

    /// <summary>Hold the connection open without sending, until the peer closes it.</summary>
    public static async Task HoldAsync(Socket socket)
    {
        var buffer = new byte[1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
    }
}
