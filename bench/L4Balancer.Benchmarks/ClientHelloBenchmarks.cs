using System.Buffers;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Tls;

namespace L4Balancer.Benchmarks;

/// <summary>
/// The SNI peek on the accept path. 512 B is Chrome's padded hello; 4 KiB stands for a
/// post-quantum one; the split variants take the copying path (records, segments).
/// </summary>
[MemoryDiagnoser]
public class ClientHelloBenchmarks
{
    private readonly byte[] _name = new byte[ClientHelloReader.MaxHostNameLength];
    private ReadOnlySequence<byte> _hello512;
    private ReadOnlySequence<byte> _hello4K;
    private ReadOnlySequence<byte> _hello4KThreeRecords;
    private ReadOnlySequence<byte> _hello4KPipeBlocks;

    [GlobalSetup]
    public void Setup()
    {
        _hello512 = new ReadOnlySequence<byte>(SyntheticClientHello.Create("llm.acme.example", 512, records: 1));
        _hello4K = new ReadOnlySequence<byte>(SyntheticClientHello.Create("llm.acme.example", 4096, records: 1));
        _hello4KThreeRecords = new ReadOnlySequence<byte>(SyntheticClientHello.Create("llm.acme.example", 4096, records: 3));

        // 4 101 bytes on the wire spill out of a Pipe's 4 KiB block: what a real peek most often sees.
        _hello4KPipeBlocks = SequenceSegment.Split(SyntheticClientHello.Create("llm.acme.example", 4096, records: 1), 4096);

        if (Parse(_hello512) + Parse(_hello4K) + Parse(_hello4KThreeRecords) + Parse(_hello4KPipeBlocks) != 4 * "llm.acme.example".Length)
            throw new InvalidOperationException("the benchmark hellos do not parse");
    }

    [Benchmark(Baseline = true)]
    public int Hello512() => Parse(_hello512);

    [Benchmark]
    public int Hello4K() => Parse(_hello4K);

    [Benchmark]
    public int Hello4KThreeRecords() => Parse(_hello4KThreeRecords);

    [Benchmark]
    public int Hello4KPipeBlocks() => Parse(_hello4KPipeBlocks);

    /// <summary>The string overload the peeker uses: the only allocation is the name.</summary>
    [Benchmark]
    public string? Hello512String()
    {
        var progress = default(ClientHelloProgress);
        ClientHelloReader.TryRead(_hello512, ref progress, out var name);
        return name;
    }

    private int Parse(in ReadOnlySequence<byte> hello)
    {
        var progress = default(ClientHelloProgress);
        return ClientHelloReader.TryRead(hello, ref progress, _name, out var length) == ClientHelloResult.Sni ? length : -1;
    }
}
