using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// The bulk scenario: throughput of <c>--connections</c> streams. Byte counters are read at the
/// window's start and end (with the exact timestamps), so warmup and the tail are not counted.
/// </summary>
internal sealed class BulkRunner
{
    private readonly BulkConnection[] _connections;
    private readonly ErrorCounters _errors = new();
    private readonly RunClock _clock;
    private readonly BulkMode _mode;
    private readonly int _bufferSize;
    private long _lastSent;
    private long _lastReceived;

    public BulkRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
    {
        _clock = clock;
        _mode = options.Mode;
        _bufferSize = options.BufferSize;
        _connections = Enumerable.Range(0, options.Connections)
            .Select(_ => new BulkConnection(target, options.BufferSize, clock, _errors, options.Timeout))
            .ToArray();
    }

    public async Task<BulkResult> RunAsync()
    {
        var running = Task.WhenAll(_connections.Select(c => Task.Run(() => c.RunAsync(_mode))));
        await Clock.DelayUntilAsync(_clock.MeasureStart).ConfigureAwait(false);
        var (sent0, received0, t0) = (Sent(), Received(), Clock.Now);
        await Clock.DelayUntilAsync(_clock.MeasureEnd).ConfigureAwait(false);
        var (sent1, received1, t1) = (Sent(), Received(), Clock.Now);
        await running.ConfigureAwait(false);
        var seconds = Clock.Seconds(t1 - t0);
        return new BulkResult(
            _mode.ToString().ToLowerInvariant(),
            _connections.Length,
            _bufferSize,
            Math.Round(seconds, 3),
            sent1 - sent0,
            received1 - received0,
            Math.Round((sent1 - sent0) * 8 / 1e9 / seconds, 3),
            Math.Round((received1 - received0) * 8 / 1e9 / seconds, 3),
            _errors.ToSummary());
    }

    public string Progress(double intervalSeconds)
    {
        var (sent, received) = (Sent(), Received());
        var text = string.Create(CultureInfo.InvariantCulture,
            $"sent {(sent - _lastSent) * 8 / 1e9 / intervalSeconds,7:F3} Gb/s  recv {(received - _lastReceived) * 8 / 1e9 / intervalSeconds,7:F3} Gb/s  err {_errors.AllTotal}");
        (_lastSent, _lastReceived) = (sent, received);
        return text;
    }

    private long Sent() => _connections.Sum(c => c.SentBytes);

    private long Received() => _connections.Sum(c => c.ReceivedBytes);
}
