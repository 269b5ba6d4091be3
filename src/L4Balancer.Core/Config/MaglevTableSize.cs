namespace L4Balancer.Core.Config;

/// <summary>
/// The bounds of <c>hash_table_size</c>. Maglev fills the table by stepping through it with a skip in
/// 1..M-1, which visits every entry only when M is prime (else the build would never finish for some
/// backends), so the size must be prime; 65 537 is the paper's (and Envoy's) default.
/// </summary>
internal static class MaglevTableSize
{
    public const int Default = 65_537;

    /// <summary>The smallest size accepted: a table this small spreads a handful of backends only coarsely.</summary>
    public const int Min = 17;

    /// <summary>The largest size accepted: 2 MB of table per tenant (entries are 16-bit backend indices).</summary>
    public const int Max = 1_000_003;

    /// <summary>
    /// At least this many entries per backend. The paper keeps M above 100 N for a spread within about 1 %;
    /// below 10 N some backends' shares are off by tens of percent, which no operator means to ask for.
    /// </summary>
    public const int MinEntriesPerBackend = 10;

    /// <summary>Entries are 16-bit backend indices, one value kept free to mark an empty entry while building.</summary>
    public const int MaxBackends = ushort.MaxValue;

    public static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        if (n % 2 == 0)
        {
            return n == 2;
        }

        for (var d = 3; (long)d * d <= n; d += 2)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The nearest primes below and above <paramref name="n"/>, for an error message that says what to write instead.</summary>
    public static (int Below, int Above) NearestPrimes(int n)
    {
        var below = n - 1;
        while (below > 2 && !IsPrime(below))
        {
            below--;
        }

        var above = n + 1;
        while (!IsPrime(above))
        {
            above++;
        }

        return (below, above);
    }
}
