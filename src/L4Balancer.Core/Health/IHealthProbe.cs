using System.Net;

namespace L4Balancer.Core.Health;

/// <summary>One active check of one backend. The engine uses <see cref="TcpConnectProbe"/>; unit tests script the answers.</summary>
internal interface IHealthProbe
{
    /// <returns>True if the backend passed (SPEC: a TCP connect completed within <paramref name="timeout"/>).</returns>
    ValueTask<bool> ProbeAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken);
}
