namespace L4Balancer.Core.Proxy;

internal enum RelaySide
{
    Client,
    Backend,
}
