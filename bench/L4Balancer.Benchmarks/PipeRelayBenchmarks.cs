using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Transport.Sockets;

namespace L4Balancer.Benchmarks;

/// <summary>
/// The relay's buffering alone, without sockets: a producer writes 1 MiB into pipe A in 16 KiB
/// chunks, a relay loop moves A → B exactly as a session's pumps do (same <see cref="RelayOptions"/>:
/// pooled segments, inline schedulers, 64 KiB pause threshold), a consumer drains B. One operation
/// is one MiB, so "Allocated" reads as bytes allocated per relayed MiB.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class PipeRelayBenchmarks
{
    private const int MiB = 1024 * 1024;
    private const int Chunk = 16 * 1024;
    private readonly byte[] _chunk = new byte[Chunk];
    private readonly RelayOptions _options = new();

    [Benchmark]
    public async Task<long> RelayOneMiB()
    {
        var a = new Pipe(_options.PipeOptions);
        var b = new Pipe(_options.PipeOptions);
        var produce = ProduceAsync(a.Writer);
        var relay = RelayAsync(a.Reader, b.Writer);
        var consumed = await ConsumeAsync(b.Reader);
        await produce;
        await relay;
        return consumed;
    }

    private async Task ProduceAsync(PipeWriter writer)
    {
        for (var sent = 0; sent < MiB; sent += Chunk)
        {
            await writer.WriteAsync(_chunk);
        }

        await writer.CompleteAsync();
    }

    private static async Task RelayAsync(PipeReader source, PipeWriter destination)
    {
        while (true)
        {
            var result = await source.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await destination.WriteAsync(segment);
            }

            source.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await source.CompleteAsync();
        await destination.CompleteAsync();
    }

    private static async Task<long> ConsumeAsync(PipeReader reader)
    {
        long total = 0;
        while (true)
        {
            var result = await reader.ReadAsync();
            total += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await reader.CompleteAsync();
        return total;
    }
}
