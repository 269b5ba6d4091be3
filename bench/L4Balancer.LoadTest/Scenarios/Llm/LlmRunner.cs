using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios.Llm;

/// <summary>
/// The llm scenario: prompts against <c>serve --kind llm</c> instances (or a balancer in front of
/// them) at <c>--rate</c> requests/s, open loop: request n is due at start + n / rate whatever
/// happened to the others, on a new connection, and its latencies count from that intended time,
/// as in rr. Prompt bytes and output tokens are log-normal (<see cref="LogNormal"/>), drawn in
/// request order from <c>--seed</c>, so every target gets the same requests. Requests are due
/// from the warmup's start to the window's end; those due in the window are measured, and all
/// may finish until the hard deadline. At a few requests per second a Task.Delay (about 1 ms late)
/// per request is precise enough; its lateness is measured (send lag).
/// </summary>
internal sealed class LlmRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
{
    /// <summary>Clamps of the draws: at the defaults both cut far less than 0.1 % of the mean.</summary>
    public const int MaxPromptBytes = 256 * 1024;

    public const int MaxTokens = 8192;

    private readonly LlmTally _tally = new();
    private long _lastStarted;
    private long _lastCompleted;

    public async Task<LlmResult> RunAsync()
    {
        var random = new Random(options.Seed);
        var prompts = new LogNormal(options.PromptMu, options.PromptSigma, 1, MaxPromptBytes, random);
        var answers = new LogNormal(options.TokensMu, options.TokensSigma, 1, MaxTokens, random);
        var schedule = new RateSchedule(clock.Start, options.Rate);
        var requests = new List<Task>();
        for (long n = 0; ; n++)
        {
            var intended = schedule.IntendedTime(n);
            if (intended >= clock.MeasureEnd || clock.HardStop.IsCancellationRequested)
            {
                break;
            }

            // Drawn before the wait: the sequence depends on the seed only, never on timing.
            var promptBytes = prompts.Next();
            var tokens = answers.Next();
            await Clock.DelayUntilAsync(intended, clock.HardStop).ConfigureAwait(false);
            var exchange = new LlmExchange(target, clock, options.Timeout, _tally);
            requests.Add(Task.Run(() => exchange.RunAsync(intended, promptBytes, tokens)));
        }

        await Task.WhenAll(requests).ConfigureAwait(false);
        var measured = Volatile.Read(ref _tally.Measured);
        var completed = Volatile.Read(ref _tally.Completed);
        var seconds = clock.MeasuredSeconds;
        return new LlmResult(
            options.Rate,
            Math.Round(seconds, 3),
            measured,
            completed,
            Math.Round(completed / seconds, 3),
            Volatile.Read(ref _tally.Unfinished),
            Volatile.Read(ref _tally.PeakInFlight),
            Volatile.Read(ref _tally.Tokens),
            Volatile.Read(ref _tally.TokensExpected),
            measured > 0 ? Math.Round((double)_tally.PromptBytes / measured, 1) : 0,
            measured > 0 ? Math.Round((double)_tally.TokensAsked / measured, 1) : 0,
            options.PromptMu,
            options.PromptSigma,
            options.TokensMu,
            options.TokensSigma,
            options.Seed,
            LatencySummary.From(_tally.Ttft),
            LatencySummary.From(_tally.Completion),
            LatencySummary.From(_tally.TimePerToken),
            LatencySummary.From(_tally.Connect),
            LatencySummary.From(_tally.SendLag),
            new SortedDictionary<string, long>(_tally.ServedBy, StringComparer.Ordinal),
            _tally.Errors.ToSummary());
    }

    public string Progress(double intervalSeconds)
    {
        var started = Volatile.Read(ref _tally.Started);
        var completed = Volatile.Read(ref _tally.CompletedAll);
        var (count, p99, max) = _tally.Live.TakeInterval();
        var text = string.Create(CultureInfo.InvariantCulture,
            $"sent {(started - _lastStarted) / intervalSeconds,5:F1}/s  done {(completed - _lastCompleted) / intervalSeconds,5:F1}/s  in flight {Volatile.Read(ref _tally.InFlight),4}  ttft p99 {p99 / 1000.0,9:F1} ms  max {max / 1000.0,9:F1} ms (n {count})  err {_tally.Errors.AllTotal}");
        _lastStarted = started;
        _lastCompleted = completed;
        return text;
    }
}
