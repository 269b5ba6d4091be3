using System.Net;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Net;

namespace L4Balancer.Benchmarks;

/// <summary>
/// Longest-prefix match: <see cref="CidrTable{T}"/> against a linear scan of System.Net.IPNetwork.
/// Prefixes are random and distinct: IPv4 /16–/32, IPv6 /16–/64 plus one in ten /128 (host rules).
/// Each call looks up the next of 4096 pre-generated addresses, half drawn inside a random prefix
/// (hits) and half uniformly random (mostly misses at 10 prefixes), so only the lookup is measured.
/// </summary>
[MemoryDiagnoser]
public class CidrLookupBenchmarks
{
    private const int AddressCount = 4096;

    private CidrTable<int> _table = null!;
    private IPNetwork[] _networks = null!;
    private UInt128[] _addresses = null!;
    private IPAddress[] _ipAddresses = null!;
    private int _next;

    [Params(10, 100_000)]
    public int PrefixCount { get; set; }

    [Params("v4", "v6")]
    public string Family { get; set; } = "v4";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261124);
        var isV4 = Family == "v4";
        var prefixes = new HashSet<IpPrefix>();
        while (prefixes.Count < PrefixCount)
        {
            var length = isV4 ? random.Next(16, 33) : random.Next(10) == 0 ? 128 : random.Next(16, 65);
            var address = RandomAddress(random, isV4);
            prefixes.Add(IpPrefix.Parse($"{Truncate(address, length)}/{length}"));
        }

        var list = prefixes.ToList();
        _table = CidrTable<int>.Build(list.Select((p, i) => (p, i)));
        _networks = list.Select(p => IPNetwork.Parse(p.ToString())).ToArray();

        _ipAddresses = new IPAddress[AddressCount];
        _addresses = new UInt128[AddressCount];
        for (var i = 0; i < AddressCount; i++)
        {
            IPAddress address;
            if (i % 2 == 0)
            {
                var network = _networks[random.Next(_networks.Length)];
                address = RandomInside(random, network);
            }
            else
            {
                address = RandomAddress(random, isV4);
            }

            _ipAddresses[i] = address;
            _addresses[i] = IpPrefix.ToBits(address);
        }

        var hits = _addresses.Count(a => _table.TryLookup(a, out _, out _));
        Console.WriteLine($"// {Family} {PrefixCount}: {_table.NodeCount} nodes ({_table.NodeCount * 64 / 1024} KiB), {hits * 100 / AddressCount}% of addresses match");
    }

    [Benchmark(Baseline = true)]
    public int Trie()
    {
        var address = _addresses[_next++ & (AddressCount - 1)];
        return _table.TryLookup(address, out var value, out _) ? value : -1;
    }

    /// <summary>The call a listener makes with the socket's remote address (adds the IPAddress → UInt128 copy).</summary>
    [Benchmark]
    public int TrieFromIPAddress()
    {
        var address = _ipAddresses[_next++ & (AddressCount - 1)];
        return _table.TryLookup(address, out var value, out _) ? value : -1;
    }

    [Benchmark]
    public int LinearScan()
    {
        var address = _ipAddresses[_next++ & (AddressCount - 1)];
        var best = -1;
        var bestLength = -1;
        var networks = _networks;
        for (var i = 0; i < networks.Length; i++)
        {
            if (networks[i].Contains(address) && networks[i].PrefixLength > bestLength)
            {
                best = i;
                bestLength = networks[i].PrefixLength;
            }
        }

        return best;
    }

    private static IPAddress RandomAddress(Random random, bool isV4)
    {
        var bytes = new byte[isV4 ? 4 : 16];
        random.NextBytes(bytes);
        if (!isV4)
        {
            // Global unicast (2000::/3), as real IPv6 sources and rules are.
            bytes[0] = (byte)(0x20 | (bytes[0] & 0x1F));
        }

        return new IPAddress(bytes);
    }

    private static IPAddress Truncate(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = length; bit < bytes.Length * 8; bit++)
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }

    private static IPAddress RandomInside(Random random, IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        var noise = new byte[bytes.Length];
        random.NextBytes(noise);
        for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++)
            bytes[bit / 8] |= (byte)(noise[bit / 8] & (0x80 >> (bit % 8)));
        return new IPAddress(bytes);
    }
}
