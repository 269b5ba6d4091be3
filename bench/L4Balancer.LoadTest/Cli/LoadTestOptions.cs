using System.Net;
using L4Balancer.LoadTest.Server;

namespace L4Balancer.LoadTest.Cli;

/// <summary>Everything the command line said, already parsed and checked; defaults depend on the command.</summary>
internal sealed class LoadTestOptions
{
    public required string Command { get; init; }

    public string? TargetText { get; set; }
    public IPEndPoint? Target { get; set; }
    public string? TargetBText { get; set; }
    public IPEndPoint? TargetB { get; set; }

    /// <summary>Measured time; the run is warmup + duration (+ grace for responses in flight).</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(2);

    public int Connections { get; set; }
    public double Rate { get; set; }

    public required byte[] Request { get; set; }
    public bool RequestGiven { get; set; }

    /// <summary>0: HTTP framing (Content-Length); otherwise read exactly this many bytes per response.</summary>
    public int ResponseBytes { get; set; }

    public BulkMode Mode { get; set; } = BulkMode.Send;
    public int BufferSize { get; set; } = 64 * 1024;
    public int? Pid { get; set; }
    public int OpenConcurrency { get; set; } = 64;
    public int FloodConnections { get; set; } = 64;
    public int Slowloris { get; set; }

    /// <summary>neighbours: the local address tenant A's flood and slowloris connect from (default: any).</summary>
    public IPAddress? SourceA { get; set; }

    /// <summary>soak: the l4balancer executable to start (default: the Release build of src/L4Balancer in this checkout).</summary>
    public string? BalancerPath { get; set; }

    /// <summary>soak: keep the generated config and the balancer's log after the run (selftest does not).</summary>
    public bool KeepSoakFiles { get; set; } = true;

    /// <summary>soak: how often the balancer's RSS and descriptors are sampled.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>soak: new connections per second of the churn load (one request each).</summary>
    public double ChurnRate { get; set; } = 50;

    /// <summary>soak: long streams open at a time, each paced over <see cref="StreamDuration"/>.</summary>
    public int Streams { get; set; } = 4;

    public TimeSpan StreamDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>soak: the slow-loris hellos send one byte this often.</summary>
    public TimeSpan SlowlorisInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>soak: connections per second that the balancer must reject (ip_denied, not_tls, in turn).</summary>
    public double RejectRate { get; set; } = 10;

    /// <summary>serve --kind stream: bytes per chunk (the 24-byte header included).</summary>
    public int ChunkBytes { get; set; } = 100;

    /// <summary>serve --kind stream: one chunk per stream this often.</summary>
    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>serve --kind llm: requests generating at once.</summary>
    public int Slots { get; set; } = 4;

    /// <summary>serve --kind llm: prefill cost per prompt byte, µs.</summary>
    public double PrefillMicrosecondsPerByte { get; set; } = 20;

    /// <summary>serve --kind llm: output tokens per second per slot.</summary>
    public double TokenRate { get; set; } = 50;

    /// <summary>serve --kind llm: output tokens of every request; null = what the request asks for.</summary>
    public int? Tokens { get; set; }

    /// <summary>serve --kind llm: KV-cache capacity in tokens (the denominator of vllm:kv_cache_usage_perc).</summary>
    public int KvCapacityTokens { get; set; } = 8192;

    public string ModelName { get; set; } = "sim";

    /// <summary>serve --kind llm: a second port serving only GET /metrics (the API port serves it too).</summary>
    public IPEndPoint? MetricsListen { get; set; }

    /// <summary>serve --kind llm: the HAProxy agent-check port.</summary>
    public IPEndPoint? AgentListen { get; set; }

    /// <summary>llm: ln of the prompt length in bytes is normal with this mean (median e^mu)…</summary>
    public double PromptMu { get; set; } = 6.9;

    /// <summary>…and this standard deviation.</summary>
    public double PromptSigma { get; set; } = 1.0;

    /// <summary>llm: ln of the output tokens asked for is normal with this mean and…</summary>
    public double TokensMu { get; set; } = 4.6;

    /// <summary>…this standard deviation.</summary>
    public double TokensSigma { get; set; } = 0.8;

    /// <summary>llm: seed of the prompt and token draws; one seed gives every target the same request sequence.</summary>
    public int Seed { get; set; } = 1;

    public string? JsonPath { get; set; }
    public bool Quiet { get; set; }
    public bool AllowRemote { get; set; }

    public IPEndPoint? Listen { get; set; }
    public ServerKind ServeKind { get; set; } = ServerKind.Http;

    public bool IsHttp => ResponseBytes == 0;
}
