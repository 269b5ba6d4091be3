namespace L4Balancer.Core.Transport;

internal enum RelaySide
{
    Client,
    Backend,
}
