using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>One self-signed certificate per tenant, CN = tenant name, made once per test run.</summary>
internal static class TenantCertificates
{
    private static readonly ConcurrentDictionary<string, Lazy<X509Certificate2>> Cache = new(StringComparer.Ordinal);

    public static X509Certificate2 For(string tenant) =>
        Cache.GetOrAdd(tenant, static name => new Lazy<X509Certificate2>(() => Create(name))).Value;

    private static X509Certificate2 Create(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        // CreateSelfSigned's key is ephemeral; a PKCS#12 round trip gives SslStream a certificate with a
        // key it can always hand to the platform TLS stack (the usual advice for server certificates).
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), password: null);
    }
}
