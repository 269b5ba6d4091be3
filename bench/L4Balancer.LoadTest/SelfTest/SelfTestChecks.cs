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
