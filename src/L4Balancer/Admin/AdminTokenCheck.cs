using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace L4Balancer.Admin;

/// <summary>
/// The admin bearer token check (SPEC "Admin endpoint"). Both tokens are hashed with SHA-256 and the
/// hashes compared with <see cref="CryptographicOperations.FixedTimeEquals"/>: comparing equal-length
/// hashes leaks neither where the first differing byte is nor how long the real token is.
/// </summary>
internal sealed class AdminTokenCheck(Func<string> currentToken)
{
    private const string Scheme = "Bearer ";

    // The expected hash, recomputed only when the token changes (a reload may rotate it).
    private Tuple<string, byte[]>? _expected;

    public bool IsAuthorized(StringValues authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { } header
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var expected = ExpectedHash();
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim(' ')), presented);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    private byte[] ExpectedHash()
    {
        var token = currentToken();
        var cached = Volatile.Read(ref _expected);
        if (cached is not null && ReferenceEquals(cached.Item1, token))
        {
            return cached.Item2;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        Volatile.Write(ref _expected, Tuple.Create(token, hash));
        return hash;
    }
}
