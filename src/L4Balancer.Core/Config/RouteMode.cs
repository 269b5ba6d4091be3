namespace L4Balancer.Core.Config;

internal enum RouteMode
{
    Port,
    Sni,
}
