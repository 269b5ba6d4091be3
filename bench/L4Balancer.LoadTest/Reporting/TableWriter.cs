using System.Globalization;

namespace L4Balancer.LoadTest.Reporting;

/// <summary>The final result as plain tables on stdout: fixed columns, latencies in milliseconds.</summary>
internal sealed class TableWriter(TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public void Write(RunReport report)
    {
        var s = report.Settings;
        var rate = report.Scenario is "rr" or "churn" or "neighbours" or "soak" or "llm"
            ? s.Rate > 0 ? $"  rate {s.Rate.ToString("0.##", Invariant)}/s" : "  rate closed loop"
            : "";
        var duration = report.Scenario == "idle" ? "hold" : "duration";
        Line($"== {report.Scenario}  target {report.Target}{(report.TargetB is null ? "" : $"  target-b {report.TargetB}")}  "
            + $"{(report.Scenario == "llm" ? "a connection per request" : $"connections {s.Connections}")}{rate}  {duration} {s.DurationSeconds.ToString(Invariant)}s  warmup {s.WarmupSeconds.ToString(Invariant)}s");
        long operations = 0;
        if (report.Rr is { } rr)
        {
            WriteRr(rr);
            operations = rr.Requests;
        }

        if (report.Churn is { } churn)
        {
            Row(["connections", "achieved/s", "behind", "errors"], [churn.Connections, churn.ConnectionsPerSecond, churn.Behind, churn.Errors.Total]);
            LatencyHeader();
            LatencyRow("connect", churn.Connect);
            LatencyRow(churn.TargetRate > 0 ? "request (from intended)" : "request", churn.Request);
            Errors(churn.Errors);
            operations = churn.Connections;
        }

        if (report.Bulk is { } bulk)
        {
            Row(["mode", "connections", "sent Gb/s", "recv Gb/s", "sent bytes", "recv bytes", "errors"],
                [bulk.Mode, bulk.Connections, bulk.SentGbps, bulk.ReceivedGbps, bulk.SentBytes, bulk.ReceivedBytes, bulk.Errors.Total]);
            Errors(bulk.Errors);
        }

        if (report.Idle is { } idle)
        {
            Row(["requested", "opened", "failed", "alive at end", "held s"], [idle.Requested, idle.Opened, idle.Failed, idle.AliveAtEnd, idle.HeldSeconds]);
            if (idle.Pid is { } pid)
            {
                Row(["pid", "rss before", "rss after", "spread", "bytes/conn", "source"],
                    [pid, idle.RssBeforeBytes ?? 0, idle.RssAfterBytes ?? 0, idle.RssSpreadBytes ?? 0, idle.BytesPerConnection ?? 0, idle.RssSource ?? "-"]);
                Line("rss samples after settling: " + string.Join(" ", idle.RssSamplesBytes.Select(b => b.ToString(Invariant))));
            }

            LatencyHeader();
            LatencyRow("first request", idle.FirstRequest);
            Errors(idle.Errors);
        }

        if (report.Neighbours is { } neighbours)
        {
            Line("-- tenant B (rr)");
            WriteRr(neighbours.TenantB);
            var a = neighbours.TenantA;
            Line("-- tenant A (flood)");
            Row(["workers", "attempts", "accepted", "refused", "conn timeout", "conn error", "served", "closed by peer", "stalled"],
                [a.Workers, a.Attempts, a.Accepted, a.Refused, a.ConnectTimeouts, a.ConnectErrors, a.Served, a.ClosedByPeer, a.Stalled]);
            Row(["slowloris", "opened", "closed by peer", "open at end"], [a.Slowloris, a.SlowlorisOpened, a.SlowlorisClosedByPeer, a.SlowlorisOpenAtEnd]);
        }

        if (report.Soak is { } soak)
        {
            WriteSoak(soak);
            operations = soak.Rr.Requests + soak.Churn.Connections;
        }

        if (report.Stream is { } stream)
        {
            WriteStream(stream);
            operations = stream.ChunksReceived;
        }

        if (report.Llm is { } llm)
        {
            WriteLlm(llm);
            operations = llm.Completed;
        }

        var g = report.Generator;
        var perOperation = operations > 0 ? $" ({((double)g.AllocatedBytes / operations).ToString("0.#", Invariant)} B per operation)" : "";
        Line($"generator: {g.CpuCores.ToString("0.00", Invariant)} of {g.MachineCores} cores, {g.AllocatedBytes.ToString(Invariant)} B allocated{perOperation}, GCs gen0/1/2 {g.Gen0}/{g.Gen1}/{g.Gen2}");
    }

    private void WriteSoak(SoakResult soak)
    {
        Line($"balancer {soak.Balancer} (pid {soak.Pid}); config and log in {soak.WorkDirectory}");
        Line($"run {Format(soak.RunSeconds)}s, samples every {Format(soak.SampleIntervalSeconds)}s, client_hello_timeout {Format(soak.ClientHelloTimeoutSeconds)}s");
        Line("-- rr (keep-alive connections, port listener)");
        WriteRr(soak.Rr);
        Line("-- churn (a new connection per request)");
        Row(["connections", "target/s", "achieved/s", "behind", "errors"], [soak.Churn.Connections, soak.Churn.TargetRate, soak.Churn.ConnectionsPerSecond, soak.Churn.Behind, soak.Churn.Errors.Total]);
        LatencyHeader();
        LatencyRow("connect", soak.Churn.Connect);
        LatencyRow("request (from intended)", soak.Churn.Request);
        Errors(soak.Churn.Errors);
        Line("-- streams (sni listener), slow-loris hellos (127.0.0.3), connections to reject (127.0.0.4)");
        Line($"{"load",-12}{"started",10}{"as expected",13}{"per s",10}{"bytes",14}{"errors",8}");
        foreach (var side in soak.SideLoads)
        {
            Line($"{side.Name,-12}{side.Started,10}{side.AsExpected,13}{Format(side.PerSecond),10}{side.Bytes,14}{side.Errors.Total,8}");
        }

        foreach (var side in soak.SideLoads.Where(s => s.Errors.Total > 0 || s.Errors.Warmup > 0))
        {
            Line($"{side.Name}:");
            Errors(side.Errors);
        }

        Line($"-- balancer process, after warm-up (the first {ResourceSummary.WarmupShare:P0} of the run); drift = median of the last 3 samples against the first 3");
        Line($"{"resource",-12}{"samples",8}{"from s",8}{"min",14}{"max",14}{"first",14}{"last",14}{"drift %",9}{"within ±5 %",13}");
        ResourceRow("rss bytes", soak.Rss);
        ResourceRow("descriptors", soak.Descriptors);
        if (soak.Samples.Count <= 40)
        {
            Line("samples (s rss_MiB fds open): " + string.Join("  ", soak.Samples.Select(s =>
                $"{Format(Math.Round(s.Seconds))} {(s.RssBytes is { } r ? Format(Math.Round(r / 1048576.0, 1)) : "-")} {s.Descriptors?.ToString(Invariant) ?? "-"} {s.ConnectionsOpen?.ToString(Invariant) ?? "-"}")));
        }

        Line($"sessions left open after every client closed: connections_open {Text(soak.SessionsOpenAtEnd)}, l4lb_connections_active {Text(soak.ConnectionsActiveAtEnd)} (target 0)");
        Line("rejections counted by the balancer: " + (soak.BalancerRejections.Count == 0 ? "none" : string.Join(", ", soak.BalancerRejections.Select(r => $"{r.Key} {r.Value}"))));
        Line($"balancer exit code after SIGTERM: {Text(soak.BalancerExitCode)}");
        var all = new[] { soak.Rr.Errors, soak.Churn.Errors }.Concat(soak.SideLoads.Select(s => s.Errors)).ToArray();
        Line($"errors by kind, all loads: total {all.Sum(e => e.Total)} (connect {all.Sum(e => e.Connect)}, timeout {all.Sum(e => e.Timeout)}, send {all.Sum(e => e.Send)}, receive {all.Sum(e => e.Receive)}, "
            + $"eof {all.Sum(e => e.Eof)}, protocol {all.Sum(e => e.Protocol)}, status {all.Sum(e => e.Status)}); during warmup {all.Sum(e => e.Warmup)}");
        if (soak.Note is not null)
        {
            Line($"note: {soak.Note}");
        }

        var targets = new List<string>
        {
            soak.ErrorsTotal == 0 ? "errors 0: met" : $"errors {soak.ErrorsTotal}: NOT MET",
            soak.Rss.WithinTarget switch { true => "rss drift: met", false => "rss drift: NOT MET", null => "rss drift: too few samples" },
            soak.Descriptors.WithinTarget switch { true => "descriptor drift: met", false => "descriptor drift: NOT MET", null => "descriptor drift: too few samples" },
            soak.SessionsOpenAtEnd == 0 && soak.ConnectionsActiveAtEnd == 0 ? "sessions open at end 0: met" : "sessions open at end: NOT MET",
        };
        Line("targets: " + string.Join("; ", targets));
    }

    private void WriteStream(StreamResult stream)
    {
        Row(["streams", "opened", "complete", "short", "unfinished", "chunks", "expected", "in window", "chunks/s", "errors"],
            [stream.Connections, stream.Opened, stream.Complete, stream.Short, stream.Unfinished, stream.ChunksReceived, stream.ChunksExpected, stream.ChunksMeasured, stream.ChunksPerSecond, stream.Errors.Total]);
        LatencyHeader();
        LatencyRow("chunk delay", stream.ChunkDelay);
        LatencyRow("first chunk", stream.FirstChunk);
        Errors(stream.Errors);
        if (stream.Pid is { } pid)
        {
            Line($"process {pid} (and its children) over the window: {(stream.ProxyCpuPercent is { } cpu ? Format(cpu) + " % CPU (100 = one core)" : "not readable")}");
        }
    }

    private void WriteLlm(LlmResult llm)
    {
        Line($"prompt bytes log-normal mu {Format(llm.PromptMu)} sigma {Format(llm.PromptSigma)} (mean in the window {Format(llm.MeanPromptBytes)}); "
            + $"output tokens mu {Format(llm.TokensMu)} sigma {Format(llm.TokensSigma)} (mean {Format(llm.MeanTokensAsked)}); seed {llm.Seed}; one connection per request");
        Row(["requests", "target/s", "completed", "achieved/s", "unfinished", "peak in flight", "tokens", "announced", "errors"],
            [llm.Requests, llm.TargetRate, llm.Completed, llm.AchievedRate, llm.Unfinished, llm.PeakInFlight, llm.TokensReceived, llm.TokensExpected, llm.Errors.Total]);
        LatencyHeader();
        LatencyRow("ttft (from intended)", llm.Ttft);
        LatencyRow("completion (intended)", llm.Completion);
        LatencyRow("time per output token", llm.TimePerToken);
        LatencyRow("connect", llm.Connect);
        LatencyRow("send lag", llm.SendLag);
        Line("served by: " + (llm.ServedBy.Count == 0 ? "-" : string.Join(", ", llm.ServedBy.Select(s => $"{s.Key} {s.Value}"))));
        Errors(llm.Errors);
    }

    private void ResourceRow(string name, ResourceSummary r) =>
        Line($"{name,-12}{r.Samples,8}{Format(r.FromSeconds),8}{Text(r.Min),14}{Text(r.Max),14}{Text(r.First),14}{Text(r.Last),14}{Text(r.DriftPercent),9}{(r.WithinTarget is { } w ? w ? "yes" : "NO" : "-"),13}");

    private static string Text(double? value) => value is { } v ? Format(v) : "-";

    private static string Text(long? value) => value?.ToString(Invariant) ?? "-";

    private static string Text(int? value) => value?.ToString(Invariant) ?? "-";

    private void WriteRr(RrResult rr)
    {
        Row(["requests", "target/s", "achieved/s", "behind", "reconnects", "errors"],
            [rr.Requests, rr.TargetRate > 0 ? rr.TargetRate : "closed", rr.AchievedRate, rr.Behind, rr.Reconnects, rr.Errors.Total]);
        LatencyHeader();
        if (rr.TargetRate > 0)
        {
            LatencyRow("latency (from intended)", rr.Latency);
            LatencyRow("service (from sent)", rr.Service);
            LatencyRow("send lag", rr.SendLag);
        }
        else
        {
            LatencyRow("latency (closed loop)", rr.Service);
        }

        Errors(rr.Errors);
    }

    private void LatencyHeader() =>
        Line($"{"latency ms",-24}{"count",10}{"mean",10}{"p50",10}{"p90",10}{"p99",10}{"p99.9",10}{"max",10}");

    private void LatencyRow(string name, LatencySummary l) =>
        Line($"{name,-24}{l.Count,10}{Ms(l.MeanUs),10}{Ms(l.P50Us),10}{Ms(l.P90Us),10}{Ms(l.P99Us),10}{Ms(l.P999Us),10}{Ms(l.MaxUs),10}");

    private void Errors(ErrorSummary e)
    {
        if (e.Total == 0 && e.Warmup == 0)
        {
            Line("errors: none");
            return;
        }

        Line($"errors: {e.Total} (connect {e.Connect}, timeout {e.Timeout}, send {e.Send}, receive {e.Receive}, eof {e.Eof}, protocol {e.Protocol}, status {e.Status}); during warmup {e.Warmup}");
        if (e.First is not null)
        {
            Line($"first error: {e.First}");
        }
    }

    private void Row(string[] names, object[] values)
    {
        var widths = names.Select((n, i) => Math.Max(n.Length, Format(values[i]).Length) + 2).ToArray();
        Line(string.Concat(names.Select((n, i) => n.PadLeft(widths[i]))));
        Line(string.Concat(values.Select((v, i) => Format(v).PadLeft(widths[i]))));
    }

    private static string Format(object value) => value switch
    {
        double d => d.ToString("0.###", Invariant),
        IFormattable f => f.ToString(null, Invariant),
        _ => value.ToString() ?? "",
    };

    private static string Ms(double microseconds) => (microseconds / 1000.0).ToString("0.000", Invariant);

    private void Line(string text) => output.WriteLine(text);
}
