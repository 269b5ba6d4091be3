using System.Net;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Benchmarks;

/// <summary>
/// One <c>balance = "least_load"</c> pick per call against least connections (the baseline, the same scan
/// without reports), for <see cref="Backends"/> backends with random open connections (0–31) and weights
/// (1–4): every backend with a fresh report (a clock read per pick, a report read and a double compare per
/// backend), every report stale (the fallback: the same clock read and scan), and no reports at all (no
/// clock read, so the difference to the others is the clock's cost).
/// The picks take no slot, so the state stays as set up.
/// </summary>
[MemoryDiagnoser]
public class LeastLoadPickerBenchmarks
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private BackendState[] _backends = null!;
    private BackendState[] _unreported = null!;
    private LeastConnectionsPolicy _leastConnections = null!;
    private LeastLoadPolicy _fresh = null!;
    private LeastLoadPolicy _stale = null!;

    [Params(4, 64)]
    public int Backends { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261207);
        _backends = Enumerable.Range(1, Backends).Select(i => new BackendState("t", new BackendConfig
        {
            Address = $"10.1.{i / 250}.{i % 250}:443",
            EndPoint = new IPEndPoint(new IPAddress([10, 1, (byte)(i / 250), (byte)(i % 250)]), 443),
            Weight = 1 + random.Next(4),
        })).ToArray();
        var now = TimeProvider.System.GetTimestamp();
        foreach (var backend in _backends)
        {
            for (var c = random.Next(32); c > 0; c--)
            {
                backend.TryAcquire();
            }

            backend.SetReport(new BackendReport(now, random.NextDouble() * 20, null, null, AgentState.None, null));
        }

        _unreported = _backends.Select(b => new BackendState("t", b.Config)).ToArray();
        for (var i = 0; i < _unreported.Length; i++)
        {
            for (var c = _backends[i].ActiveConnections; c > 0; c--)
            {
                _unreported[i].TryAcquire();
            }
        }

        _leastConnections = new LeastConnectionsPolicy();
        _fresh = new LeastLoadPolicy(TimeProvider.System, TimeSpan.FromDays(1));
        _stale = new LeastLoadPolicy(TimeProvider.System, TimeSpan.Zero); // every report is older than 0
    }

    [Benchmark(Baseline = true)]
    public object? LeastConnections() => _leastConnections.Pick(_backends, None);

    [Benchmark]
    public object? LeastLoadFresh() => _fresh.Pick(_backends, None);

    [Benchmark]
    public object? LeastLoadAllStale() => _stale.Pick(_backends, None);

    /// <summary>No report at all: the same scan without the clock read, which isolates what reading the clock costs.</summary>
    [Benchmark]
    public object? LeastLoadNoReports() => _fresh.Pick(_unreported, None);
}
