using L4Balancer.Core.Tls;

namespace L4Balancer.Tests.Tls;

/// <summary>A ClientHello some real TLS stack put on the wire, and what the reader must make of it.</summary>
internal sealed record RealHello(string Name, byte[] Bytes, ClientHelloResult Expected, string? ServerName)
{
    public override string ToString() => Name;
}
