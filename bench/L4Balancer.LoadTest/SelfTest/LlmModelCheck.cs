using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Server.Llm;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.SelfTest;

/// <summary>
/// The simulator's model, held to what it promises: one slot, three requests sent one after the
/// other. The first runs, the other two wait (FIFO); /metrics and the agent say so; the third's
/// client leaves while queued and is dropped; the second starts only when the first is done and
/// sends its first token one prefill later; then everything is idle again.
/// </summary>
internal static class LlmModelCheck
{
    private const int PromptBytes = 1000;
    private const int Tokens = 40;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public static async Task<List<string>> RunAsync()
    {
        var problems = new List<string>();
        // Prefill 10 ms for 1000 bytes, then 40 tokens 10 ms apart: a request holds the slot ~400 ms,
        // time enough to look at the queue while the first one runs.
        var settings = new LlmSettings(1, 10, 100, null, 64, 1000, "check");
        var server = LlmServer.Start(new IPEndPoint(IPAddress.Loopback, 0), settings, agentBind: new IPEndPoint(IPAddress.Loopback, 0));
        await using (server.ConfigureAwait(false))
        {
            using var first = await OpenAsync(server.EndPoint).ConfigureAwait(false);
            var firstSent = Clock.Now;
            var firstAnswer = ReadAsync(first);
            await WaitForAsync(problems, server, 1, 0, "the first request running").ConfigureAwait(false);
            using var second = await OpenAsync(server.EndPoint).ConfigureAwait(false);
            var secondAnswer = ReadAsync(second);
            await WaitForAsync(problems, server, 1, 1, "the second request queued").ConfigureAwait(false);
            var third = await OpenAsync(server.EndPoint).ConfigureAwait(false);
            await WaitForAsync(problems, server, 1, 2, "the third request queued").ConfigureAwait(false);

            var metrics = await GetAsync(server.EndPoint, "/metrics").ConfigureAwait(false);
            Require(problems, metrics.Contains("vllm:num_requests_running{model_name=\"check\"} 1.0\n", StringComparison.Ordinal)
                && metrics.Contains("vllm:num_requests_waiting{model_name=\"check\"} 2.0\n", StringComparison.Ordinal),
                $"/metrics while one runs and two wait: {Gauges(metrics)}");
            // 250 prompt tokens (1000 B ÷ 4) plus the tokens sent so far, of a 1000-token cache.
            var kv = Gauge(metrics, "vllm:kv_cache_usage_perc");
            Require(problems, kv is >= 0.25 and <= 0.29, $"kv_cache_usage_perc {kv} (want 0.25–0.29)");
            var agent = await AgentAsync(server.AgentEndPoint!).ConfigureAwait(false);
            Require(problems, agent == "33% ready\n", $"agent said \"{agent.ReplaceLineEndings("\\n")}\" with 1 slot and 2 waiting (want \"33% ready\\n\")");

            third.Dispose();
            await WaitForAsync(problems, server, 1, 1, "the third request gone from the queue after its client closed").ConfigureAwait(false);

            var a = await firstAnswer.WaitAsync(Deadline).ConfigureAwait(false);
            var b = await secondAnswer.WaitAsync(Deadline).ConfigureAwait(false);
            Require(problems, a.Error is null && b.Error is null, $"errors: {a.Error} / {b.Error}");
            Require(problems, a.Tokens == Tokens && b.Tokens == Tokens, $"tokens {a.Tokens} and {b.Tokens} (want {Tokens})");
            var prefill = Clock.Ticks(TimeSpan.FromMilliseconds(9));
            Require(problems, a.FirstByte - firstSent >= prefill, $"first token {Ms(a.FirstByte - firstSent)} ms after the request (want ≥ the 10 ms prefill)");
            Require(problems, a.Done - a.FirstByte >= Clock.Ticks(TimeSpan.FromMilliseconds(385)), $"39 token intervals took {Ms(a.Done - a.FirstByte)} ms (want ≥ 390 ms at 100 tokens/s, less a little timer slack)");
            Require(problems, b.FirstByte - a.Done >= prefill, $"the queued request's first token came {Ms(b.FirstByte - a.Done)} ms after the first was done (want ≥ its 10 ms prefill: it waited for the slot)");

            await WaitForAsync(problems, server, 0, 0, "idle at the end").ConfigureAwait(false);
            var idle = await GetAsync(server.EndPoint, "/metrics").ConfigureAwait(false);
            Require(problems, Gauge(idle, "vllm:kv_cache_usage_perc") == 0, $"kv usage when idle: {Gauge(idle, "vllm:kv_cache_usage_perc")}");
            Require(problems, await AgentAsync(server.AgentEndPoint!).ConfigureAwait(false) == "100% ready\n", "the agent does not say 100% ready when idle");
            var deadline = Clock.Now + Clock.Ticks(Deadline);
            while (server.Aborted < 1 && Clock.Now < deadline)
            {
                await Task.Delay(5).ConfigureAwait(false);
            }

            Require(problems, server.Completed == 2 && server.Aborted == 1, $"server counted {server.Completed} completed and {server.Aborted} aborted (want 2 and 1)");
        }

        return problems;
    }

    private static async Task<Socket> OpenAsync(IPEndPoint endPoint)
    {
        var socket = await SocketIo.ConnectAsync(endPoint, Deadline, CancellationToken.None).ConfigureAwait(false);
        await SocketIo.SendAllAsync(socket, LlmWire.Request(PromptBytes, Tokens), CancellationToken.None).ConfigureAwait(false);
        return socket;
    }

    private static async Task<(long FirstByte, long Done, int Tokens, string? Error)> ReadAsync(Socket socket)
    {
        var parser = new LlmResponseParser();
        var buffer = new byte[4096];
        long firstByte = 0;
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                var now = Clock.Now;
                if (received == 0)
                {
                    return (firstByte, now, parser.Tokens, "EOF before the last chunk");
                }

                firstByte = firstByte == 0 ? now : firstByte;
                if (!parser.Feed(buffer.AsSpan(0, received)) || parser.IsDone)
                {
                    return (firstByte, now, parser.Tokens, parser.Error);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return (firstByte, Clock.Now, parser.Tokens, SocketIo.Describe(e));
        }
    }

    private static async Task WaitForAsync(List<string> problems, LlmServer server, int running, int waiting, string what)
    {
        var deadline = Clock.Now + Clock.Ticks(Deadline);
        while (server.Load != (running, waiting))
        {
            if (Clock.Now > deadline)
            {
                problems.Add($"{what}: running/waiting {server.Load.Running}/{server.Load.Waiting}, want {running}/{waiting}");
                return;
            }

            await Task.Delay(2).ConfigureAwait(false);
        }
    }

    private static async Task<string> GetAsync(IPEndPoint endPoint, string path)
    {
        using var socket = await SocketIo.ConnectAsync(endPoint, Deadline, CancellationToken.None).ConfigureAwait(false);
        await SocketIo.SendAllAsync(socket, System.Text.Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"), CancellationToken.None).ConfigureAwait(false);
        return await ReadToEndAsync(socket).ConfigureAwait(false);
    }

    private static async Task<string> AgentAsync(IPEndPoint endPoint)
    {
        using var socket = await SocketIo.ConnectAsync(endPoint, Deadline, CancellationToken.None).ConfigureAwait(false);
        return await ReadToEndAsync(socket).ConfigureAwait(false);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var text = new MemoryStream();
        var buffer = new byte[4096];
        int received;
        while ((received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, deadline.Token).ConfigureAwait(false)) > 0)
        {
            text.Write(buffer, 0, received);
        }

        return System.Text.Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>A gauge's value from the exposition text (the first series of that name), or NaN.</summary>
    public static double Gauge(string metrics, string name)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    private static string Gauges(string metrics) => string.Join(", ", metrics.Split('\n').Where(l => l.StartsWith("vllm:num_requests", StringComparison.Ordinal)));

    private static string Ms(long ticks) => (Clock.Seconds(ticks) * 1000).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    private static void Require(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }
}
