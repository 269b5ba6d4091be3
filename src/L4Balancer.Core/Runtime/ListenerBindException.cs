using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Runtime;

/// <summary>A listener could not bind its address (in use, no permission, no such address).</summary>
internal sealed class ListenerBindException(string listener, IPEndPoint address, SocketException inner)
    : BindFailedException($"listener \"{listener}\": cannot bind {address}: {inner.Message}", inner)
{
    public string Listener { get; } = listener;

    public IPEndPoint Address { get; } = address;
}
