using L4Balancer.Core.Net;

namespace L4Balancer.Core.Config;

internal sealed record TenantConfig
{
    public required string Name { get; init; }

    /// <summary>Server names, lower-cased, trailing dot removed; <c>*.suffix</c> for wildcards.</summary>
    public IReadOnlyList<string> Sni { get; init; } = [];

    public IReadOnlyList<IpPrefix> Allow { get; init; } = [];
    public IReadOnlyList<IpPrefix> Deny { get; init; } = [];

    /// <summary>Concurrent connections; 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>New connections per second (token bucket); 0 = unlimited.</summary>
    public int ConnectionRate { get; init; }

    /// <summary>Bucket size; defaults to <see cref="ConnectionRate"/>.</summary>
    public int ConnectionBurst { get; init; }

    /// <summary>Bytes per second per direction, shared by all of the tenant's connections; 0 = unlimited.</summary>
    public long Bandwidth { get; init; }

    public ProxyProtocolMode ProxyProtocol { get; init; } = ProxyProtocolMode.Off;
    public BalanceAlgorithm Balance { get; init; } = BalanceAlgorithm.LeastConnections;

    /// <summary><c>balance = "maglev"</c>: what is hashed.</summary>
    public HashKey HashKey { get; init; } = HashKey.ClientIp;

    /// <summary><c>balance = "maglev"</c>: lookup table entries, a prime.</summary>
    public int HashTableSize { get; init; } = MaglevTableSize.Default;

    /// <summary>
    /// <c>balance = "maglev"</c>: bounded load, in percent of the average load per unit of weight (HAProxy's
    /// <c>hash-balance-factor</c>); 0 = off, else greater than 100.
    /// </summary>
    public int HashBalanceFactor { get; init; }

    /// <summary>
    /// How long a connection may wait in the balancer for a backend slot when every backend that is up is
    /// at its <c>max_connections</c> (HAProxy's <c>timeout queue</c>); zero = no queue, refused at once.
    /// </summary>
    public TimeSpan QueueTimeout { get; init; }

    /// <summary>Connections that may wait at once (<see cref="QueueTimeout"/>); 0 = no bound but the tenant's and the process's limits.</summary>
    public int MaxQueue { get; init; }

    /// <summary>Other backends tried when a connect fails, before giving up.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Active checks; null = none.</summary>
    public HealthConfig? Health { get; init; }

    /// <summary>Load reports from the backends (issue 16); null = none.</summary>
    public FeedbackConfig? Feedback { get; init; }

    public IReadOnlyList<BackendConfig> Backends { get; init; } = [];
}
