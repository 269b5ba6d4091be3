namespace L4Balancer.Core.Limits;

/// <summary>
/// The process-wide admission counts. One per engine, so they survive every reload; the limits they
/// are checked against come from the config snapshot each connection was accepted under.
/// </summary>
internal sealed class GlobalLimitState
{
    /// <summary>Every open connection, from accept to close (<c>global.max_connections</c>).</summary>
    public ConcurrencyGate Connections { get; } = new();

    /// <summary>Open connections by source address (<c>global.max_connections_per_ip</c>).</summary>
    public PerIpGate ConnectionsPerIp { get; } = new();

    /// <summary>Connections on sni listeners still waiting for their ClientHello (<c>global.max_pending_handshakes</c>).</summary>
    public PendingHandshakeSet PendingHandshakes { get; } = new();

    /// <summary>The same by source address (<c>global.max_pending_handshakes_per_ip</c>).</summary>
    public PerIpGate PendingHandshakesPerIp { get; } = new();

    /// <summary>What the open-files limit allows; caps <c>global.max_connections</c> for <see cref="Connections"/>.</summary>
    public DescriptorBudget Descriptors { get; } = new();
}
