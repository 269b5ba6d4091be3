using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Health;

/// <summary>One active check of one backend. The engine uses <see cref="HealthProbe"/>; unit tests script the answers.</summary>
internal interface IHealthProbe
{
    /// <param name="backend">Checked at its <see cref="BackendState.EndPoint"/>; its address is the HTTP <c>Host</c> when nothing else names one.</param>
    /// <param name="settings">The tenant's <c>[tenant.health]</c>: type, timeout, and what a TLS or HTTP check sends and expects.</param>
    /// <param name="proxyProtocol">The tenant's <c>proxy_protocol</c>: a backend that expects a header gets one on checks too.</param>
    /// <returns>How the check ended: passed (L4OK, L6OK, L7OK) or why not.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> stopped the check (not a failure of the backend).</exception>
    ValueTask<CheckResult> ProbeAsync(BackendState backend, HealthConfig settings, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken);
}
