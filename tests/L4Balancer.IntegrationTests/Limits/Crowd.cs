using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Many clients connecting at once. A client is <i>admitted</i> when the backend's greeting line
/// (<see cref="TestBackend.Named"/>) reaches it, <i>rejected</i> when the balancer closes it first;
/// admitted sockets stay open (holding their slots) until the crowd is disposed.
/// </summary>
internal sealed class Crowd : IDisposable
{
    private Crowd(List<Socket> admitted, int rejected)
    {
        Admitted = admitted;
        Rejected = rejected;
    }

    public List<Socket> Admitted { get; }

    public int Rejected { get; }

    /// <summary>
    /// Connects <paramref name="count"/> clients at once (all connects start before any is awaited),
    /// each sends <paramref name="hello"/> if given, and each then waits for the greeting or the close.
    /// </summary>
    public static async Task<Crowd> ArriveAsync(IPEndPoint target, int count, IPAddress? from = null, byte[]? hello = null, CancellationToken cancellationToken = default)
    {
        var deadline = cancellationToken.CanBeCanceled ? cancellationToken : Deadline.After();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ArriveOneAsync(target, from, hello, deadline)));
        var admitted = outcomes.Where(s => s is not null).Select(s => s!).ToList();
        return new Crowd(admitted, count - admitted.Count);
    }

    private static async Task<Socket?> ArriveOneAsync(IPEndPoint target, IPAddress? from, byte[]? hello, CancellationToken deadline)
    {
        var socket = await SocketExtensions.ConnectToAsync(target, from, deadline);
        try
        {
            if (hello is not null)
            {
                await socket.SendAllAsync(hello, deadline);
            }

            var greeting = await socket.ReadLineAsync(deadline);
            if (greeting.Length > 0)
            {
                return socket;
            }
        }
        catch (SocketException)
        {
            // Reset by the balancer: a rejection (unread bytes at close turn its FIN into a RST).
        }

        socket.Dispose();
        return null;
    }

    /// <summary>Opens <paramref name="count"/> connections at once and returns them without reading anything.</summary>
    public static async Task<List<Socket>> OpenAsync(IPEndPoint target, int count, IPAddress? from = null, CancellationToken cancellationToken = default)
    {
        var deadline = cancellationToken.CanBeCanceled ? cancellationToken : Deadline.After();
        return [.. await Task.WhenAll(Enumerable.Range(0, count).Select(_ => SocketExtensions.ConnectToAsync(target, from, deadline)))];
    }

    /// <summary>True once the balancer closed the socket (FIN or RST): anything readable means closed, since it never sends before admission.</summary>
    public static bool IsClosedByPeer(Socket socket) => socket.Poll(0, SelectMode.SelectRead);

    public void Dispose()
    {
        foreach (var socket in Admitted)
        {
            socket.Dispose();
        }
    }
}
