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

    public string? JsonPath { get; set; }
    public bool Quiet { get; set; }
    public bool AllowRemote { get; set; }

    public IPEndPoint? Listen { get; set; }
    public ServerKind ServeKind { get; set; } = ServerKind.Http;

    public bool IsHttp => ResponseBytes == 0;
}
