using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs ::1; skipped, with the reason, on a machine whose loopback has no IPv6.</summary>
public sealed class Ipv6LoopbackFactAttribute : FactAttribute
{
    private static readonly string? Unavailable = Probe();

    public Ipv6LoopbackFactAttribute()
    {
        if (Unavailable is not null)
        {
            Skip = Unavailable;
        }
    }

    private static string? Probe()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException ex)
        {
            return $"IPv6 loopback unavailable on this machine ({ex.SocketErrorCode})";
        }
    }
}
