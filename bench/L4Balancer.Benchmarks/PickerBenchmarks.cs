using System.Net;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Benchmarks;

/// <summary>
/// One backend pick per call, for a tenant of <see cref="Backends"/> idle backends: least connections
/// (the default; a scan of every backend) against Maglev (a hash and a table read), Maglev with one
/// backend in ten down (a tenth of the keys probe on), and Maglev with bounded load (a scan of the
/// backends' load per pick). Keys are the next of 4096 random IPv4 client addresses, made in setup.
/// <see cref="BuildTable"/> is the cost of a 65 537-entry table, paid once per config load or reload.
/// </summary>
[MemoryDiagnoser]
public class PickerBenchmarks
{
    private const int KeyCount = 4096;
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private BackendConfig[] _configs = null!;
    private BackendState[] _backends = null!;
    private BackendState[] _someDown = null!;
    private LeastConnectionsPolicy _leastConnections = null!;
    private MaglevPolicy _maglev = null!;
    private MaglevPolicy _bounded = null!;
    private PickContext[] _keys = null!;
    private int _next;

    [Params(4, 64)]
    public int Backends { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _configs = Enumerable.Range(1, Backends).Select(i => new BackendConfig
        {
            Address = $"10.1.{i / 250}.{i % 250}:443",
            EndPoint = new IPEndPoint(new IPAddress([10, 1, (byte)(i / 250), (byte)(i % 250)]), 443),
        }).ToArray();
        _backends = _configs.Select(c => new BackendState("t", c)).ToArray();
        _someDown = _configs.Select(c => new BackendState("t", c)).ToArray();
        for (var i = 0; i < _someDown.Length; i += 10)
        {
            _someDown[i].SetUp(false);
        }

        _leastConnections = new LeastConnectionsPolicy();
        _maglev = new MaglevPolicy(_configs, HashKey.ClientIp, MaglevTableSize.Default, 0);
        _bounded = new MaglevPolicy(_configs, HashKey.ClientIp, MaglevTableSize.Default, 150);

        var random = new Random(20261207);
        _keys = Enumerable.Range(0, KeyCount).Select(_ =>
        {
            var bytes = new byte[4];
            random.NextBytes(bytes);
            return new PickContext(new IPAddress(bytes), null);
        }).ToArray();
    }

    private PickContext NextKey() => _keys[_next++ & (KeyCount - 1)];

    [Benchmark(Baseline = true)]
    public object? LeastConnections() => _leastConnections.Pick(_backends, None, NextKey());

    [Benchmark]
    public object? Maglev() => _maglev.Pick(_backends, None, NextKey());

    [Benchmark]
    public object? MaglevOneInTenDown() => _maglev.Pick(_someDown, None, NextKey());

    [Benchmark]
    public object? MaglevBoundedLoad() => _bounded.Pick(_backends, None, NextKey());

    [Benchmark]
    public int BuildTable() =>
        MaglevTable.Build(_configs.Select(c => c.Address).ToArray(), _configs.Select(c => c.Weight).ToArray(), MaglevTableSize.Default).Size;
}
