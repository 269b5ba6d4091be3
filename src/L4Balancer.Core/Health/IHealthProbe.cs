using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Health;

/// <summary>One active check of one backend. The engine uses <see cref="TcpConnectProbe"/>; unit tests script the answers.</summary>
internal interface IHealthProbe
{
    /// <param name="proxyProtocol">The tenant's <c>proxy_protocol</c>: a backend that expects a header gets one on checks too.</param>
    /// <returns>True if the backend passed (SPEC: a TCP connect completed within <paramref name="timeout"/>).</returns>
    ValueTask<bool> ProbeAsync(IPEndPoint endPoint, TimeSpan timeout, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken);
}
