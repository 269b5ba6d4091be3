namespace L4Balancer.IntegrationTests.Tls;

/// <summary>What a TLS client saw: the server certificate's CN, the greeting line and whether its probe came back.</summary>
internal sealed record TlsExchange(string? CertificateName, string? Greeting, bool Echoed);
