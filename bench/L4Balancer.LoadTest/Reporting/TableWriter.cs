using System.Globalization;

namespace L4Balancer.LoadTest.Reporting;

/// <summary>The final result as plain tables on stdout: fixed columns, latencies in milliseconds.</summary>
internal sealed class TableWriter(TextWriter output)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public void Write(RunReport report)
    {
        var s = report.Settings;
        var rate = report.Scenario is "rr" or "churn" or "neighbours"
            ? s.Rate > 0 ? $"  rate {s.Rate.ToString("0.##", Invariant)}/s" : "  rate closed loop"
            : "";
        var duration = report.Scenario == "idle" ? "hold" : "duration";
        Line($"== {report.Scenario}  target {report.Target}{(report.TargetB is null ? "" : $"  target-b {report.TargetB}")}  "
            + $"connections {s.Connections}{rate}  {duration} {s.DurationSeconds.ToString(Invariant)}s  warmup {s.WarmupSeconds.ToString(Invariant)}s");
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

        var g = report.Generator;
        var perOperation = operations > 0 ? $" ({((double)g.AllocatedBytes / operations).ToString("0.#", Invariant)} B per operation)" : "";
        Line($"generator: {g.CpuCores.ToString("0.00", Invariant)} of {g.MachineCores} cores, {g.AllocatedBytes.ToString(Invariant)} B allocated{perOperation}, GCs gen0/1/2 {g.Gen0}/{g.Gen1}/{g.Gen2}");
    }

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
