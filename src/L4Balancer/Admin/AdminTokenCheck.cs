using System.Security.Cryptography;
using System.Text;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Primitives;

namespace L4Balancer.Admin;

/// <summary>
/// The admin bearer token check (SPEC "Admin endpoint", issue 17's scopes). The presented token and every
/// configured one are hashed with SHA-256 and the hashes compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>: comparing equal-length hashes leaks neither where
/// the first differing byte is nor how long a real token is. Every configured token is compared, whatever
/// matched before it, so the time taken does not say which entry (or whether any) matched either.
/// </summary>
internal sealed class AdminTokenCheck(Func<IReadOnlyList<AdminToken>> currentTokens, AdminTokenCheck.HashComparer? compare = null)
{
    /// <summary>Compares two SHA-256 hashes; a seam so a test can see that every token is compared.</summary>
    public delegate bool HashComparer(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right);

    /// <summary>What the check compares with unless a test says otherwise.</summary>
    public static readonly HashComparer DefaultComparer = CryptographicOperations.FixedTimeEquals;

    private const string Scheme = "Bearer ";

    private readonly HashComparer _compare = compare ?? DefaultComparer;

    // The expected hashes, recomputed only when the token list changes (a reload may rotate it).
    private Tuple<IReadOnlyList<AdminToken>, (byte[] Hash, AdminScope Scope)[]>? _expected;

    /// <summary>The scope of the presented token; null when it is missing, malformed or no configured token.</summary>
    public AdminScope? Authorize(StringValues authorization)
    {
        if (authorization.Count != 1 || authorization[0] is not { } header
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var expected = ExpectedHashes();
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim(' ')), presented);

        // No early exit and no short-circuit: the loop does the same work for the first entry, the last and none.
        var granted = 0;
        foreach (var (hash, scope) in expected)
        {
            var match = _compare(hash, presented);
            granted = Math.Max(granted, (match ? 1 : 0) * (int)scope);
        }

        return granted == 0 ? null : (AdminScope)granted;
    }

    private (byte[] Hash, AdminScope Scope)[] ExpectedHashes()
    {
        var tokens = currentTokens();
        var cached = Volatile.Read(ref _expected);
        if (cached is not null && ReferenceEquals(cached.Item1, tokens))
        {
            return cached.Item2;
        }

        var hashes = tokens.Select(t => (SHA256.HashData(Encoding.UTF8.GetBytes(t.Secret)), t.Scope)).ToArray();
        Volatile.Write(ref _expected, Tuple.Create(tokens, hashes));
        return hashes;
    }
}
