using System.Buffers.Binary;
using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Tests.Net;

public class CidrTableTests
{
    private static readonly UInt128 V4Base = (UInt128)0xFFFF << 32;

    [Fact]
    public void Empty_table_matches_nothing()
    {
        var table = CidrTable<int>.Build([]);
        Assert.Equal(0, table.Count);
        Assert.False(table.TryLookup(IPAddress.Parse("10.1.2.3"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.IPv6Loopback, out _, out _));
        Assert.False(table.TryLookup(UInt128.Zero, out _, out _));
        Assert.False(table.TryLookup(UInt128.MaxValue, out _, out _));
    }

    [Fact]
    public void Longest_of_nested_prefixes_wins()
    {
        var table = Table("0.0.0.0/0", "10.0.0.0/8", "10.6.0.0/16", "10.6.6.0/24", "10.6.6.6/32");
        AssertMatch(table, "10.6.6.6", "10.6.6.6/32");
        AssertMatch(table, "10.6.6.7", "10.6.6.0/24");
        AssertMatch(table, "10.6.7.1", "10.6.0.0/16");
        AssertMatch(table, "10.7.0.1", "10.0.0.0/8");
        AssertMatch(table, "11.0.0.1", "0.0.0.0/0");
        AssertMatch(table, "::ffff:10.6.6.6", "10.6.6.6/32");
        Assert.False(table.TryLookup(IPAddress.IPv6Loopback, out _, out _));
    }

    [Fact]
    public void Ipv4_default_route_is_the_v4_mapped_region_only()
    {
        var table = Table("0.0.0.0/0");
        AssertMatch(table, "255.255.255.255", "0.0.0.0/0");
        AssertMatch(table, "0.0.0.0", "0.0.0.0/0");
        AssertMatch(table, "::ffff:1.2.3.4", "0.0.0.0/0");
        Assert.False(table.TryLookup(IPAddress.Parse("::1"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.Parse("::fffe:ffff:ffff"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.Parse("::1:0:0:0"), out _, out _));
    }

    [Fact]
    public void Ipv6_default_route_covers_everything_including_ipv4()
    {
        // IpPrefix maps IPv4 into ::ffff:0:0/96, so ::/0 contains every IPv4 address too.
        var table = Table("::/0", "2001:db8::/32");
        AssertMatch(table, "10.0.0.1", "::/0");
        AssertMatch(table, "2001:db8::1", "2001:db8::/32");
        AssertMatch(table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0");
    }

    [Fact]
    public void Ipv6_prefixes_around_the_ipv4_region_feed_ipv4_lookups()
    {
        var table = Table("::/64", "::fffe:0:0/95", "10.0.0.0/8");
        AssertMatch(table, "10.1.1.1", "10.0.0.0/8");
        AssertMatch(table, "11.1.1.1", "::fffe:0:0/95");
        AssertMatch(table, "::fffe:1.1.1.1", "::fffe:0:0/95");
        AssertMatch(table, "::1", "::/64");
        Assert.False(table.TryLookup(IPAddress.Parse("1::1"), out _, out _));
    }

    [Fact]
    public void Host_prefixes_match_exactly_one_address()
    {
        var table = Table("::1/128", "::/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "255.255.255.255/32", "0.0.0.0/32");
        AssertMatch(table, "::1", "::1/128");
        AssertMatch(table, "::", "::/128");
        AssertMatch(table, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
        AssertMatch(table, "255.255.255.255", "255.255.255.255/32");
        AssertMatch(table, "0.0.0.0", "0.0.0.0/32");
        Assert.False(table.TryLookup(IPAddress.Parse("::2"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.Parse("255.255.255.254"), out _, out _));
        Assert.False(table.TryLookup(IPAddress.Parse("0.0.0.1"), out _, out _));
    }

    [Fact]
    public void Later_duplicate_replaces_earlier()
    {
        var table = CidrTable<string>.Build(
        [
            (IpPrefix.Parse("10.0.0.0/8"), "first"),
            (IpPrefix.Parse("192.168.0.0/16"), "other"),
            (IpPrefix.Parse("::ffff:10.0.0.0/104"), "second"),
        ]);
        Assert.Equal(2, table.Count);
        Assert.True(table.TryLookup(IPAddress.Parse("10.1.2.3"), out var value, out var matched));
        Assert.Equal("second", value);
        Assert.Equal(IpPrefix.Parse("::ffff:10.0.0.0/104"), matched);
    }

    [Fact]
    public void Address_overloads_agree()
    {
        var table = Table("10.0.0.0/8", "2001:db8::/32");
        Assert.True(table.TryLookup(stackalloc byte[] { 10, 9, 8, 7 }, out var v4, out _));
        Assert.Equal(0, v4);
        Span<byte> v6 = stackalloc byte[16];
        IPAddress.Parse("2001:db8::5").TryWriteBytes(v6, out _);
        Assert.True(table.TryLookup(v6, out var v6Value, out var v6Match));
        Assert.Equal(1, v6Value);
        Assert.Equal(IpPrefix.Parse("2001:db8::/32"), v6Match);
        Assert.True(table.TryLookup(V4Base | 0x0A000001u, out _, out var mapped));
        Assert.Equal(IpPrefix.Parse("10.0.0.0/8"), mapped);
        Assert.Throws<ArgumentException>(() => table.TryLookup(new byte[5], out _, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Matches_linear_scan_oracle_on_random_small_sets(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 40; round++)
        {
            var entries = RandomPrefixes(random, random.Next(0, 200));
            var table = CidrTable<int>.Build(entries.Select((p, i) => (p, i)));
            foreach (var address in RandomAddresses(random, entries, 300))
            {
                var expected = LinearScan(entries, address);
                var found = table.TryLookup(address, out var value, out var matched);
                Assert.Equal(expected >= 0, found);
                if (found)
                {
                    Assert.Equal(expected, value);
                    Assert.Equal(entries[expected], matched);
                }
            }
        }
    }

    [Fact]
    public void Matches_per_length_hash_oracle_on_a_large_set()
    {
        var random = new Random(42);
        var entries = RandomPrefixes(random, 30_000);
        var table = CidrTable<int>.Build(entries.Select((p, i) => (p, i)));

        // Later entries overwrite earlier ones, as the table's duplicate rule says.
        var byLength = new Dictionary<UInt128, int>[129];
        for (var length = 0; length <= 128; length++)
            byLength[length] = [];
        for (var i = 0; i < entries.Count; i++)
            byLength[entries[i].Length][entries[i].Bits] = i;

        foreach (var address in RandomAddresses(random, entries, 30_000))
        {
            var expected = -1;
            for (var length = 128; length >= 0 && expected < 0; length--)
            {
                if (byLength[length].TryGetValue(address & IpPrefix.Mask(length), out var index))
                    expected = index;
            }

            Assert.Equal(expected >= 0, table.TryLookup(address, out var value, out _));
            if (expected >= 0)
                Assert.Equal(expected, value);
        }
    }

    [Fact]
    public void Lookups_allocate_nothing()
    {
        var random = new Random(7);
        var entries = RandomPrefixes(random, 1000);
        var table = CidrTable<string>.Build(entries.Select(p => (p, p.ToString())));
        var addresses = RandomAddresses(random, entries, 256).ToArray();
        var ipAddresses = addresses.Select(ToIpAddress).ToArray();
        var v6Bytes = new byte[16];
        var hits = 0;
        for (var warm = 0; warm < 2; warm++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < addresses.Length; i++)
            {
                hits += table.TryLookup(addresses[i], out _, out _) ? 1 : 0;
                hits += table.TryLookup(ipAddresses[i], out _, out _) ? 1 : 0;
                BinaryPrimitives.WriteUInt128BigEndian(v6Bytes, addresses[i]);
                hits += table.TryLookup(v6Bytes, out _, out _) ? 1 : 0;
            }

            if (warm == 1)
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(hits > 0);
    }

    [Fact]
    public void Concurrent_lookups_agree_with_sequential_ones()
    {
        var random = new Random(11);
        var entries = RandomPrefixes(random, 5000);
        var table = CidrTable<int>.Build(entries.Select((p, i) => (p, i)));
        var addresses = RandomAddresses(random, entries, 20_000).ToArray();
        var expected = addresses.Select(a => table.TryLookup(a, out var v, out _) ? v : -1).ToArray();
        var mismatches = 0;
        Parallel.For(0, 4, worker =>
        {
            for (var i = 0; i < addresses.Length; i++)
            {
                var actual = table.TryLookup(addresses[i], out var v, out _) ? v : -1;
                if (actual != expected[i])
                    Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    private static CidrTable<int> Table(params string[] prefixes) =>
        CidrTable<int>.Build(prefixes.Select((p, i) => (IpPrefix.Parse(p), i)));

    private static void AssertMatch(CidrTable<int> table, string address, string expected)
    {
        Assert.True(table.TryLookup(IPAddress.Parse(address), out _, out var matched), $"{address} should match {expected}");
        Assert.Equal(IpPrefix.Parse(expected), matched);
    }

    /// <summary>Brute force: the longest containing prefix; among equal ones (duplicates) the later.</summary>
    private static int LinearScan(List<IpPrefix> entries, UInt128 address)
    {
        var best = -1;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Contains(address) && (best < 0 || entries[i].Length >= entries[best].Length))
                best = i;
        }

        return best;
    }

    /// <summary>
    /// Prefixes cut from a small pool of base addresses at random lengths, so they nest and share
    /// long paths; mixed IPv4, IPv6, IPv6 written inside ::ffff:0:0/96, and the edge lengths.
    /// </summary>
    internal static List<IpPrefix> RandomPrefixes(Random random, int count)
    {
        var pool = new UInt128[Math.Max(4, count / 8)];
        for (var i = 0; i < pool.Length; i++)
        {
            pool[i] = (i % 3) switch
            {
                0 => V4Base | (uint)random.Next(),
                1 => RandomUInt128(random),
                _ => ((UInt128)0x2001_0db8 << 96) | (RandomUInt128(random) >> 40),
            };
        }

        var result = new List<IpPrefix>(count);
        for (var i = 0; i < count; i++)
        {
            var bits = pool[random.Next(pool.Length)];
            if (random.Next(4) == 0)
                bits ^= (UInt128)1 << random.Next(128);
            var isV4 = (bits >> 32) == 0xFFFF;
            var roll = random.Next(20);
            int length = roll switch
            {
                0 => isV4 ? 96 : 0,
                1 => 128,
                _ => isV4 ? random.Next(96, 129) : random.Next(0, 129),
            };
            var writeAsV4 = isV4 && random.Next(5) != 0;
            result.Add(MakePrefix(bits & IpPrefix.Mask(length), length, writeAsV4));
        }

        return result;
    }

    /// <summary>Addresses inside the prefixes (so lookups hit, at both ends too), near them, and at random.</summary>
    internal static IEnumerable<UInt128> RandomAddresses(Random random, List<IpPrefix> entries, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var roll = random.Next(10);
            if (entries.Count > 0 && roll < 6)
            {
                var prefix = entries[random.Next(entries.Count)];
                var host = ~IpPrefix.Mask(prefix.Length);
                yield return (roll % 3) switch
                {
                    0 => prefix.Bits,
                    1 => prefix.Bits | host,
                    _ => prefix.Bits | (RandomUInt128(random) & host),
                } ^ (roll == 5 ? (UInt128)1 << random.Next(128) : UInt128.Zero);
            }
            else if (roll < 8)
            {
                yield return V4Base | (uint)random.Next();
            }
            else
            {
                yield return RandomUInt128(random);
            }
        }
    }

    private static IpPrefix MakePrefix(UInt128 bits, int length, bool writeAsV4)
    {
        var address = ToIpAddress(bits);
        var text = writeAsV4 ? $"{address.MapToIPv4()}/{length - 96}" : $"{address}/{length}";
        return IpPrefix.Parse(text);
    }

    private static IPAddress ToIpAddress(UInt128 bits)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, bits);
        return new IPAddress(bytes);
    }

    private static UInt128 RandomUInt128(Random random) =>
        new((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63));
}
