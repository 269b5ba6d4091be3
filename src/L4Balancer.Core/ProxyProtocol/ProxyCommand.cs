namespace L4Balancer.Core.ProxyProtocol;

internal enum ProxyCommand
{
    /// <summary>v2 LOCAL: the proxy's own connection (e.g. a health check); use the real endpoints.</summary>
    Local,

    /// <summary>Relayed on behalf of a client: the header's addresses are the original ones.</summary>
    Proxy,
}
