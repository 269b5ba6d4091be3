namespace L4Balancer.Core.Config;

internal enum ProxyProtocolMode
{
    Off,
    V1,
    V2,
}
