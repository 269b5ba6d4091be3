using System.Net.Sockets;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// A backend that greets each connection with "NAME REMOTE LOCAL\n", then echoes. REMOTE is the
/// balancer's side of its backend connection, which <see cref="TcpSocketOwner"/> maps to the
/// balancer process that accepted the client.
/// </summary>
internal static class GreetingBackend
{
    public static TestBackend Start(string name) => TestBackend.Start(socket => GreetAndEchoAsync(socket, name));

    private static async Task GreetAndEchoAsync(Socket socket, string name)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes($"{name} {socket.RemoteEndPoint} {socket.LocalEndPoint}\n"), SocketFlags.None);
        await Handlers.EchoAsync(socket);
    }
}
