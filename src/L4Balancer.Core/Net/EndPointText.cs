using System.Net;

namespace L4Balancer.Core.Net;

/// <summary>Addresses as logs print them.</summary>
internal static class EndPointText
{
    /// <summary>
    /// <c>ip:port</c>, <c>[ipv6]:port</c>, or <c>-</c> when unknown. An IPv4 client of a dual-stack
    /// (<c>[::]:port</c>) listener arrives as <c>::ffff:a.b.c.d</c>; it is printed as the IPv4 address it
    /// is (<c>127.0.0.1:36962</c>, not <c>[::ffff:127.0.0.1]:36962</c>), as nginx and HAProxy print it, so
    /// one client reads the same in the log whichever listener it came in on.
    /// </summary>
    public static string Format(IPEndPoint? endPoint) => endPoint switch
    {
        null => "-",
        { Address.IsIPv4MappedToIPv6: true } => new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port).ToString(),
        _ => endPoint.ToString(),
    };
}
