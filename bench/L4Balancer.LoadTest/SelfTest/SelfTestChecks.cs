using L4Balancer.LoadTest.Reporting;

namespace L4Balancer.LoadTest.SelfTest;

/// <summary>The sanity checks selftest applies to each result; prints PASS/FAIL lines and the closing count.</summary>
internal sealed class SelfTestChecks(TextWriter output)
{
    private int _passed;
    private int _failed;

    public void Rr(string name, RrResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.Requests > 0, "no requests completed");
        Require(problems, r.AchievedRate > 0, "achieved rate is 0");
        if (expectedRate > 0)
        {
            Require(problems, r.AchievedRate >= expectedRate * 0.95, $"achieved {r.AchievedRate}/s of {expectedRate}/s");
            Require(problems, r.Behind <= r.Requests / 100, $"{r.Behind} requests behind schedule");
        }

        Latencies(problems, r.Latency);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Churn(string name, ChurnResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.Connections > 0, "no connections completed");
        if (expectedRate > 0)
        {
            Require(problems, r.ConnectionsPerSecond >= expectedRate * 0.95, $"achieved {r.ConnectionsPerSecond}/s of {expectedRate}/s");
        }

        Latencies(problems, r.Connect);
        Latencies(problems, r.Request);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Bulk(string name, BulkResult r)
    {
        var problems = new List<string>();
        Require(problems, r.SentGbps > 0, "nothing sent");
        Require(problems, r.Mode != "echo" || r.ReceivedGbps > 0, "nothing echoed");
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Idle(string name, IdleResult r, int expected)
    {
        var problems = new List<string>();
        Require(problems, r.Opened == expected, $"opened {r.Opened} of {expected}");
        Require(problems, r.AliveAtEnd == expected, $"{r.AliveAtEnd} of {expected} answered after the hold");
        Require(problems, r.RssAfterBytes > 0 && r.BytesPerConnection is not null, "no RSS measured");
        Latencies(problems, r.FirstRequest);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Neighbours(string name, NeighboursResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.TenantB.Requests > 0 && r.TenantB.AchievedRate >= expectedRate * 0.95, $"B achieved {r.TenantB.AchievedRate}/s of {expectedRate}/s");
        Latencies(problems, r.TenantB.Latency);
        NoErrors(problems, r.TenantB.Errors);
        Require(problems, r.TenantA.Accepted > 0 && r.TenantA.Served > 0, "the flood reached nothing on A");
        Require(problems, r.TenantA.SlowlorisOpened >= r.TenantA.Slowloris, $"{r.TenantA.SlowlorisOpened} of {r.TenantA.Slowloris} slowloris connections opened");
        Report(name, problems);
    }

    /// <summary>Every stream complete, every announced chunk received, delays recorded and in order, no errors.</summary>
    public void Stream(string name, StreamResult r, long expectedChunks)
    {
        var problems = new List<string>();
        Require(problems, r.Opened == r.Connections && r.Complete == r.Connections, $"{r.Complete} of {r.Connections} streams complete ({r.Opened} opened)");
        Require(problems, r.ChunksReceived == expectedChunks && r.ChunksExpected == expectedChunks, $"received {r.ChunksReceived} chunks, announced {r.ChunksExpected}, want {expectedChunks}");
        Require(problems, r.ChunksMeasured > 0, "no chunk inside the window");
        Latencies(problems, r.ChunkDelay);
        Latencies(problems, r.FirstChunk);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    /// <summary>A short soak against a real l4balancer: no errors, samples taken, nothing left open, a clean exit.</summary>
    public void Soak(string name, SoakResult r)
    {
        var problems = new List<string>();
        Require(problems, r.Rr.Requests > 0 && r.Churn.Connections > 0, "rr or churn completed nothing");
        // A slow-loris lasts client_hello_timeout (5 s): in a 4 s window only the ones opened during warm-up run.
        var windowed = r.SideLoads.Where(s => s.Name != "slowloris").ToArray();
        Require(problems, windowed.All(s => s.Started > 0), "a side load never started: " + string.Join(", ", windowed.Where(s => s.Started == 0).Select(s => s.Name)));
        Require(problems, r.SideLoads.Single(s => s.Name == "rejected").AsExpected > 0, "no connection was rejected");
        Require(problems, r.ErrorsTotal == 0, $"{r.ErrorsTotal} errors");
        Require(problems, r.Samples.Count >= 5 && r.Samples.All(s => s.RssBytes > 0 && s.Descriptors > 0), $"{r.Samples.Count} samples, or one without RSS/descriptors");
        Require(problems, r.Rss.Samples >= 2 && r.Descriptors.DriftPercent is not null, "no drift computed");
        Require(problems, r.SessionsOpenAtEnd == 0 && r.ConnectionsActiveAtEnd == 0, $"balancer sessions still open after every client closed: connections_open {r.SessionsOpenAtEnd}, l4lb_connections_active {r.ConnectionsActiveAtEnd}");
        Require(problems, r.BalancerExitCode == 0, $"balancer exit code {r.BalancerExitCode}");
        Report(name, problems);
    }

    /// <summary>soak's own arithmetic: warm-up cut, medians, drift sign and target; the /metrics sum.</summary>
    public void SoakArithmetic()
    {
        var problems = new List<string>();
        (double, double?)[] samples = [(0, 10), (10, 100), (20, 100), (30, 102), (40, null), (50, 104), (60, 103), (70, 106), (80, 107), (90, 108), (100, 500)];
        var r = ResourceSummary.From(samples, runSeconds: 100);
        Require(problems, r.FromSeconds == 20 && r.Samples == 8, $"warm-up cut: from {r.FromSeconds}, {r.Samples} samples (want 20, 8)");
        Require(problems, r.Min == 100 && r.Max == 500, $"min/max {r.Min}/{r.Max}");
        Require(problems, r.First == 102 && r.Last == 108 && r.DriftPercent == 5.88 && r.WithinTarget == false, $"first {r.First} last {r.Last} drift {r.DriftPercent} within {r.WithinTarget} (want 102, 108, 5.88, false)");
        var flat = ResourceSummary.From([(5, 200), (6, 200), (7, 210), (8, 210)], runSeconds: 10);
        Require(problems, flat.DriftPercent == 5 && flat.WithinTarget == true, $"two-sample edges: drift {flat.DriftPercent} within {flat.WithinTarget} (want 5, true)");
        Require(problems, ResourceSummary.From([(9, 1)], runSeconds: 10).DriftPercent is null, "one sample must give no drift");
        const string Metrics = "# TYPE l4lb_connections_active gauge\nl4lb_connections_active{tenant=\"a\"} 3\nl4lb_connections_active{tenant=\"b\"} 4\nl4lb_connections_active_other 9\nl4lb_connections_total{tenant=\"a\"} 100\n";
        var sum = Scenarios.Soak.SoakBalancer.SumMetric(Metrics, "l4lb_connections_active");
        Require(problems, sum == 7, $"l4lb_connections_active summed to {sum} (want 7)");
        Report("soak arithmetic (drift, /metrics sum)", problems);
    }

    /// <summary>Every request of the window complete with every announced token, the rate kept, TTFT below completion, one instance named.</summary>
    public void Llm(string name, LlmResult r, double expectedRate, double secondsPerToken)
    {
        var problems = new List<string>();
        var expected = expectedRate * r.MeasuredSeconds;
        Require(problems, r.Requests >= expected * 0.95 && r.Requests <= expected + 1, $"{r.Requests} requests in the window, want {expected}");
        Require(problems, r.Completed == r.Requests && r.Unfinished == 0, $"{r.Completed} of {r.Requests} complete, {r.Unfinished} unfinished");
        Require(problems, r.TokensReceived > 0 && r.TokensReceived == r.TokensExpected, $"received {r.TokensReceived} tokens, announced {r.TokensExpected}");
        Latencies(problems, r.Ttft);
        Latencies(problems, r.Completion);
        Latencies(problems, r.TimePerToken);
        Require(problems, r.Ttft.P50Us < r.Completion.P50Us && r.Ttft.MaxUs <= r.Completion.MaxUs, $"ttft p50/max {r.Ttft.P50Us}/{r.Ttft.MaxUs} µs not below completion {r.Completion.P50Us}/{r.Completion.MaxUs}");
        var perToken = secondsPerToken * 1e6;
        Require(problems, r.TimePerToken.P50Us >= perToken * 0.9 && r.TimePerToken.P50Us <= perToken * 2, $"time per token p50 {r.TimePerToken.P50Us} µs, the simulator's pace is {perToken} µs");
        Require(problems, r.ServedBy.Count == 1 && r.ServedBy.Values.Single() == r.Completed, $"served by: {string.Join(", ", r.ServedBy)}");
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    /// <summary>The pieces of the llm simulator and scenario that are plain arithmetic or parsing.</summary>
    public void LlmArithmetic()
    {
        var problems = new List<string>();
        string[] agent = [Server.Llm.LlmLoadReport.AgentLine(4, 0), Server.Llm.LlmLoadReport.AgentLine(4, 4), Server.Llm.LlmLoadReport.AgentLine(4, 12), Server.Llm.LlmLoadReport.AgentLine(4, 1000), Server.Llm.LlmLoadReport.AgentLine(3, 1)];
        Require(problems, agent.SequenceEqual(["100% ready\n", "50% ready\n", "25% ready\n", "1% ready\n", "75% ready\n"]), $"agent lines: {string.Join(" | ", agent).ReplaceLineEndings("\\n")}");
        Require(problems, Server.Llm.LlmLoadReport.KvUsage(300, 1000) == 0.3 && Server.Llm.LlmLoadReport.KvUsage(5000, 1000) == 1, "kv usage is not held ÷ capacity clamped to 1");

        // A whole response fed one byte at a time, then in one piece: the same tokens, and the head's fields.
        var frame = Net.LlmWire.TokenFrame(40);
        byte[] response = [.. Net.LlmWire.ResponseHead(3, "10.0.0.1:8000"), .. frame, .. frame, .. frame, .. Net.LlmWire.LastChunk];
        var byByte = new Net.LlmResponseParser();
        var ok = true;
        foreach (var b in response)
        {
            ok &= byByte.Feed([b]);
        }

        var whole = new Net.LlmResponseParser();
        ok &= whole.Feed(response);
        Require(problems, ok && byByte.IsDone && whole.IsDone && byByte.Tokens == 3 && whole.Tokens == 3 && whole.AnnouncedTokens == 3 && whole.ServedBy == "10.0.0.1:8000",
            $"parser: ok {ok}, done {byByte.IsDone}/{whole.IsDone}, tokens {byByte.Tokens}/{whole.Tokens}, announced {whole.AnnouncedTokens}, served by {whole.ServedBy}, error {byByte.Error ?? whole.Error}");
        var truncated = new Net.LlmResponseParser();
        truncated.Feed(response.AsSpan(0, response.Length - 3));
        Require(problems, !truncated.IsDone && truncated.Tokens == 3, "a response cut inside its last chunk must not be done");
        var garbled = new Net.LlmResponseParser();
        Require(problems, !garbled.Feed([.. Net.LlmWire.ResponseHead(1, "x"), .. "zz\r\n"u8]) && garbled.Error is not null, "a chunk size that is not hex must fail");
        var status = new Net.LlmResponseParser();
        Require(problems, !status.Feed(Net.LlmWire.Plain(503, "Service Unavailable", "text/plain", "busy")) && status.Status == 503, "a 503 must fail with its status");

        // The log-normal draws: the sample mean near e^(mu + sigma²/2), and one seed, one sequence.
        var draws = new Scenarios.Llm.LogNormal(6.9, 1.0, 1, Scenarios.Llm.LlmRunner.MaxPromptBytes, new Random(7));
        double sum = 0;
        const int N = 400_000;
        for (var i = 0; i < N; i++)
        {
            sum += draws.Next();
        }

        var mean = Scenarios.Llm.LogNormal.Mean(6.9, 1.0);
        Require(problems, Math.Abs((sum / N) - mean) < mean * 0.02, $"log-normal sample mean {sum / N:0.0}, formula {mean:0.0}");
        var x = new Scenarios.Llm.LogNormal(4.6, 0.8, 1, 8192, new Random(3));
        var y = new Scenarios.Llm.LogNormal(4.6, 0.8, 1, 8192, new Random(3));
        Require(problems, Enumerable.Range(0, 100).All(_ => x.Next() == y.Next()), "one seed gave two sequences");

        var head = "POST /v1/completions?stream=true&max_tokens=77 HTTP/1.1\r\nHost: x\r\ncontent-length: 1234"u8;
        Require(problems, Server.Llm.LlmRequestHead.TryParse(head, out var parsed, out _) && parsed.IsPost && parsed.MaxTokens == 77 && parsed.ContentLength == 1234,
            $"request head: post {parsed.IsPost}, max_tokens {parsed.MaxTokens}, content-length {parsed.ContentLength}");
        Require(problems, !Server.Llm.LlmRequestHead.TryParse("POST /v1/completions?max_tokens=0 HTTP/1.1"u8, out _, out _), "max_tokens=0 must be refused");
        Report("llm arithmetic (agent weights, KV, response parser, log-normal, request head)", problems);
    }

    /// <summary>A check run elsewhere that hands its problems in.</summary>
    public void Result(string name, List<string> problems) => Report(name, problems);

    public void Skip(string name, string reason) => output.WriteLine($"SKIP {name}: {reason}");

    public int Finish()
    {
        output.WriteLine();
        output.WriteLine($"selftest: {_passed} passed, {_failed} failed");
        return _failed == 0 ? 0 : 1;
    }

    private static void Latencies(List<string> problems, LatencySummary l)
    {
        Require(problems, l.Count > 0, "no latency recorded");
        Require(problems, l.P50Us <= l.P90Us && l.P90Us <= l.P99Us && l.P99Us <= l.P999Us && l.P999Us <= l.MaxUs, $"percentiles out of order: {l}");
    }

    private static void NoErrors(List<string> problems, ErrorSummary e) =>
        Require(problems, e.Total == 0 && e.Warmup == 0, $"{e.Total} errors ({e.Warmup} in warmup), first: {e.First}");

    private static void Require(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }

    private void Report(string name, List<string> problems)
    {
        if (problems.Count == 0)
        {
            _passed++;
            output.WriteLine($"PASS {name}");
        }
        else
        {
            _failed++;
            output.WriteLine($"FAIL {name}: {string.Join("; ", problems)}");
        }
    }
}
