using System.Security.Cryptography.X509Certificates;

namespace L4Balancer.Core.Config;

/// <summary>
/// <c>[tenant.health] ca</c>: the certificates a TLS check trusts, read from a PEM file at load (so an
/// unreadable file fails <c>check</c> and a reload). Equal when the same certificates came from the same
/// path, so a reload that keeps the file keeps the checks running, and one that changes it restarts them.
/// </summary>
internal sealed class TrustedCertificates : IEquatable<TrustedCertificates>
{
    private readonly string _thumbprints;

    public TrustedCertificates(string path, X509Certificate2Collection certificates)
    {
        Path = path;
        Certificates = certificates;
        _thumbprints = string.Join(',', certificates.Select(c => c.Thumbprint));
    }

    /// <summary>As written in the config.</summary>
    public string Path { get; }

    public X509Certificate2Collection Certificates { get; }

    public bool Equals(TrustedCertificates? other) =>
        other is not null && string.Equals(Path, other.Path, StringComparison.Ordinal) && string.Equals(_thumbprints, other._thumbprints, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as TrustedCertificates);

    public override int GetHashCode() => HashCode.Combine(Path, _thumbprints);

    public override string ToString() => Path;
}
