using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Server;

namespace L4Balancer.LoadTest.SelfTest;

/// <summary>
/// <c>selftest</c>: in-process HTTP, echo, discard and stream servers on 127.0.0.1:0, each scenario for
/// 2 s against them through the same code path as the command line, and sanity checks on the
/// results (non-zero rates, p50 ≤ p99, no errors). Ends with the generator's closed-loop ceiling.
/// Prints "selftest: N passed, M failed"; exit code 0 only if nothing failed.
/// </summary>
internal static class SelfTestCommand
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    public static async Task<int> RunAsync()
    {
        var checks = new SelfTestChecks(Console.Out);
        Console.WriteLine("selftest: servers run in this process, so each \"generator:\" line below counts their CPU and allocations too");
        await using var http = InProcessServer.Start(Loopback, ServerKind.Http);
        await using var echo = InProcessServer.Start(Loopback, ServerKind.Echo);
        await using var discard = InProcessServer.Start(Loopback, ServerKind.Discard);
        await using var tenantA = InProcessServer.Start(Loopback, ServerKind.Http);

        var rr = await RunAsync(Options("rr", http, connections: 8, rate: 2000)).ConfigureAwait(false);
        checks.Rr("rr open loop 2000/s, HTTP", rr.Rr!, expectedRate: 2000);

        var echoRequest = "ping 0123456789\n"u8.ToArray();
        var fixedRr = Options("rr", echo, connections: 4, rate: 1000);
        fixedRr.Request = echoRequest;
        fixedRr.ResponseBytes = echoRequest.Length;
        checks.Rr("rr open loop 1000/s, fixed 16-byte responses (echo)", (await RunAsync(fixedRr).ConfigureAwait(false)).Rr!, expectedRate: 1000);

        var churn = await RunAsync(Options("churn", http, connections: 4, rate: 0, request: RequestText.CloseGet)).ConfigureAwait(false);
        checks.Churn("churn closed loop", churn.Churn!, expectedRate: 0);

        var churnRate = await RunAsync(Options("churn", http, connections: 4, rate: 200, request: RequestText.CloseGet)).ConfigureAwait(false);
        checks.Churn("churn 200/s", churnRate.Churn!, expectedRate: 200);

        var bulkSend = Options("bulk", discard, connections: 2, rate: 0);
        checks.Bulk("bulk send (discard)", (await RunAsync(bulkSend).ConfigureAwait(false)).Bulk!);

        var bulkEcho = Options("bulk", echo, connections: 2, rate: 0);
        bulkEcho.Mode = BulkMode.Echo;
        checks.Bulk("bulk echo", (await RunAsync(bulkEcho).ConfigureAwait(false)).Bulk!);

        var idle = Options("idle", http, connections: 200, rate: 0);
        idle.Pid = Environment.ProcessId;
        idle.Settle = TimeSpan.FromMilliseconds(500);
        checks.Idle("idle 200 connections (own process RSS)", (await RunAsync(idle).ConfigureAwait(false)).Idle!, 200);

        var neighbours = Options("neighbours", tenantA, connections: 4, rate: 500);
        neighbours.TargetB = http.EndPoint;
        neighbours.FloodConnections = 4;
        neighbours.Slowloris = 8;
        checks.Neighbours("neighbours", (await RunAsync(neighbours).ConfigureAwait(false)).Neighbours!, 500);

        // Streams of 1.5 s started over the 0.5 s warmup: all end inside the 2 s window.
        var streamSettings = new ChunkStreamSettings(100, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1500));
        await using (var streamServer = ChunkStreamServer.Start(Loopback, streamSettings))
        {
            var stream = Options("stream", streamServer.EndPoint, connections: 50, rate: 0);
            checks.Stream("stream 50 connections, 100 B every 50 ms for 1.5 s", (await RunAsync(stream).ConfigureAwait(false)).Stream!, 50L * streamSettings.Count);
        }

        checks.LlmArithmetic();
        checks.Result("llm simulator model (1 slot: FIFO queue, /metrics, agent, a client leaving the queue)", await LlmModelCheck.RunAsync().ConfigureAwait(false));

        // 4 slots, 200 tokens/s each; prompts around 500 B (2.5 ms prefill), answers around 20 tokens
        // (~0.1 s): about 36 requests/s of capacity, offered 20/s.
        var llmSettings = new Server.Llm.LlmSettings(4, 5, 200, null, 100, 8192, "selftest");
        await using (var llmServer = Server.Llm.LlmServer.Start(Loopback, llmSettings))
        {
            var llm = Options("llm", llmServer.EndPoint, connections: 1, rate: 20);
            llm.PromptMu = 6.2;
            llm.PromptSigma = 0.5;
            llm.TokensMu = 3;
            llm.TokensSigma = 0.5;
            llm.Grace = TimeSpan.FromSeconds(3);
            checks.Llm("llm 20 requests/s against the simulator (4 slots)", (await RunAsync(llm).ConfigureAwait(false)).Llm!, 20, 1 / llmSettings.TokenRate);
        }

        checks.SoakArithmetic();
        if (Scenarios.Soak.SoakBalancer.Find(null) is null)
        {
            checks.Skip("soak 4 s", "no Release build of l4balancer (dotnet build -c Release src/L4Balancer)");
        }
        else
        {
            var soak = new LoadTestOptions
            {
                Command = "soak",
                Request = RequestText.KeepAliveGet,
                Connections = 4,
                Rate = 200,
                ChurnRate = 20,
                Streams = 2,
                StreamDuration = TimeSpan.FromSeconds(1),
                Slowloris = 2,
                SlowlorisInterval = TimeSpan.FromMilliseconds(500),
                RejectRate = 10,
                SampleInterval = TimeSpan.FromMilliseconds(500),
                Duration = TimeSpan.FromSeconds(4),
                Warmup = TimeSpan.FromMilliseconds(500),
                Grace = TimeSpan.FromSeconds(1),
                Timeout = TimeSpan.FromSeconds(2),
                Quiet = true,
                KeepSoakFiles = false,
            };
            checks.Soak("soak 4 s (l4balancer Release build)", (await RunAsync(soak).ConfigureAwait(false)).Soak!);
        }

        // The ceiling: closed loop, as many 16-byte request/responses as the generator and the
        // in-process echo server manage together (same process, same 2 cores: a lower bound for
        // the generator alone).
        var ceiling = Options("rr", echo, connections: 32, rate: 0);
        ceiling.Request = echoRequest;
        ceiling.ResponseBytes = echoRequest.Length;
        ceiling.Duration = TimeSpan.FromSeconds(3);
        var top = (await RunAsync(ceiling).ConfigureAwait(false)).Rr!;
        checks.Rr("rr closed loop, 32 connections, echo (ceiling)", top, expectedRate: 0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling: {top.AchievedRate:F0} req/s closed loop over 32 connections against the in-process echo server (same process, same {Environment.ProcessorCount} cores)"));

        return checks.Finish();
    }

    private static LoadTestOptions Options(string command, InProcessServer server, int connections, double rate, byte[]? request = null) =>
        Options(command, server.EndPoint, connections, rate, request);

    private static LoadTestOptions Options(string command, IPEndPoint target, int connections, double rate, byte[]? request = null) => new()
    {
        Command = command,
        Target = target,
        TargetText = target.ToString(),
        Request = request ?? RequestText.KeepAliveGet,
        Connections = connections,
        Rate = rate,
        Duration = TimeSpan.FromSeconds(2),
        Warmup = TimeSpan.FromMilliseconds(500),
        Grace = TimeSpan.FromSeconds(1),
        Timeout = TimeSpan.FromSeconds(2),
        Quiet = true,
    };

    private static async Task<RunReport> RunAsync(LoadTestOptions options)
    {
        Console.WriteLine();
        return await ScenarioHost.RunAsync(options, Console.Out).ConfigureAwait(false);
    }
}
