namespace L4Balancer.LoadTest.Reporting;

/// <summary>What the generator process spent during the measured window.</summary>
internal sealed record GeneratorUsage(
    double CpuSeconds,
    double CpuCores,
    int MachineCores,
    long AllocatedBytes,
    int Gen0,
    int Gen1,
    int Gen2);
