using System.Text;
using System.Text.Json;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Scenarios;
using L4Balancer.LoadTest.Scenarios.Llm;
using L4Balancer.LoadTest.Scenarios.Soak;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest;

/// <summary>
/// Runs one scenario the same way for the command line and for selftest: the clock, the progress
/// line, the generator meter, then the table (and JSON). Every scenario is bounded by its clock;
/// a backstop past the hard deadline turns a hang into an error instead of a stuck process.
/// </summary>
internal static class ScenarioHost
{
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(10);

    public static async Task<RunReport> RunAsync(LoadTestOptions o, TextWriter table)
    {
        var started = DateTimeOffset.UtcNow;

        // soak stands up its balancer and backends before the clock starts.
        await using var soakEnvironment = o.Command == "soak" ? await SoakEnvironment.StartAsync(o).ConfigureAwait(false) : null;
        using var clock = o.Command == "idle"
            ? new RunClock(TimeSpan.Zero, IdleRunner.Budget(o), o.Grace)
            : new RunClock(o.Warmup, o.Duration, o.Grace);
        var meter = new GeneratorMeter();
        Func<double, string> progress;
        Func<Task<RunReport>> run;
        RunReport Report(RrResult? rr = null, ChurnResult? churn = null, BulkResult? bulk = null, IdleResult? idle = null, NeighboursResult? neighbours = null, SoakResult? soak = null, StreamResult? stream = null, LlmResult? llm = null) =>
            new(o.Command, (o.Target ?? soakEnvironment?.Balancer.Listeners[SoakBalancer.PlainListener])?.ToString(), o.TargetB?.ToString(), started, Settings(o), MachineInfo.Current(), meter.Result, rr, churn, bulk, idle, neighbours, soak, stream, llm);

        switch (o.Command)
        {
            case "rr":
                var rr = new RrRunner(o, o.Target!, clock);
                progress = rr.Progress;
                run = async () => Report(rr: await rr.RunAsync().ConfigureAwait(false));
                break;
            case "churn":
                var churn = new ChurnRunner(o, o.Target!, clock);
                progress = churn.Progress;
                run = async () => Report(churn: await churn.RunAsync().ConfigureAwait(false));
                break;
            case "bulk":
                var bulk = new BulkRunner(o, o.Target!, clock);
                progress = bulk.Progress;
                run = async () => Report(bulk: await bulk.RunAsync().ConfigureAwait(false));
                break;
            case "idle":
                var idle = new IdleRunner(o, o.Target!, clock);
                progress = idle.Progress;
                run = async () =>
                {
                    meter.Start();
                    var result = await idle.RunAsync().ConfigureAwait(false);
                    meter.Stop();
                    return Report(idle: result);
                };
                break;
            case "neighbours":
                var neighbours = new NeighboursRunner(o, clock);
                progress = neighbours.Progress;
                run = async () => Report(neighbours: await neighbours.RunAsync().ConfigureAwait(false));
                break;
            case "soak":
                var soak = new SoakRunner(o, soakEnvironment!, clock);
                progress = soak.Progress;
                run = async () => Report(soak: await soak.RunAsync().ConfigureAwait(false));
                break;
            case "stream":
                var stream = new StreamRunner(o, o.Target!, clock);
                progress = stream.Progress;
                run = async () => Report(stream: await stream.RunAsync().ConfigureAwait(false));
                break;
            case "llm":
                var llm = new LlmRunner(o, o.Target!, clock);
                progress = llm.Progress;
                run = async () => Report(llm: await llm.RunAsync().ConfigureAwait(false));
                break;
            default:
                throw new ArgumentException($"not a scenario: {o.Command}", nameof(o));
        }

        using var progressStop = new CancellationTokenSource();
        var printer = ProgressPrinter.RunAsync(clock, progress, o.Quiet, progressStop.Token);
        var window = o.Command == "idle" ? Task.CompletedTask : meter.MeasureWindowAsync(clock);
        // soak also waits for the balancer's sessions to close and for the balancer to stop.
        var limit = Clock.Until(clock.HardDeadline) + Backstop + (o.Command == "soak" ? TimeSpan.FromSeconds(30) : TimeSpan.Zero);
        RunReport report;
        try
        {
            var scenario = Task.Run(run);
            await window.ConfigureAwait(false);
            report = await scenario.WaitAsync(limit).ConfigureAwait(false);
        }
        finally
        {
            await progressStop.CancelAsync().ConfigureAwait(false);
            await printer.ConfigureAwait(false);
        }

        report = report with { Generator = meter.Result };
        new TableWriter(table).Write(report);
        if (o.JsonPath is not null)
        {
            await File.WriteAllTextAsync(o.JsonPath, JsonSerializer.Serialize(report, ReportJsonContext.Default.RunReport) + "\n").ConfigureAwait(false);
        }

        return report;
    }

    private static RunSettings Settings(LoadTestOptions o) => new(
        o.Duration.TotalSeconds,
        o.Command == "idle" ? 0 : o.Warmup.TotalSeconds,
        o.Grace.TotalSeconds,
        o.Timeout.TotalSeconds,
        o.Connections,
        o.Command is "rr" or "churn" or "neighbours" or "soak" or "llm" ? o.Rate : 0,
        o.Command == "stream" ? "stream-chunks" : o.Command == "llm" ? "llm (HTTP/1.1 POST, chunked answer)" : o.IsHttp ? "http" : $"fixed:{o.ResponseBytes}",
        Escape(o.Request),
        o.Command == "bulk" ? o.Mode.ToString().ToLowerInvariant() : null,
        o.Pid,
        o.Command == "neighbours" ? o.FloodConnections : null,
        o.Command is "neighbours" or "soak" ? o.Slowloris : null,
        o.Command == "neighbours" ? o.SourceA?.ToString() : null,
        Program.InlineCompletionsEnabled);

    private static string Escape(byte[] request)
    {
        var text = new StringBuilder();
        foreach (var b in request)
        {
            var escaped = b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7f => null,
                _ => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:x2}"),
            };
            _ = escaped is null ? text.Append((char)b) : text.Append(escaped);
        }

        return text.ToString();
    }
}
