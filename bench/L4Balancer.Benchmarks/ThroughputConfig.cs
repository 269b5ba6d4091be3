using BenchmarkDotNet.Configs;

namespace L4Balancer.Benchmarks;

/// <summary>Adds <see cref="ThroughputColumn"/> to a benchmark class that moves one MiB per operation.</summary>
internal sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new ThroughputColumn());
}
