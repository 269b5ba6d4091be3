using L4Balancer.Core.Limits;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Limits;

public class BandwidthThrottleTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(1_000_000, 16 * 1024)]
    [InlineData(100_000, 2000)]
    [InlineData(1000, 20)]
    [InlineData(10, 1)]
    public void Chunks_are_a_fiftieth_of_the_rate_at_most_16_KiB(long bytesPerSecond, int chunk)
    {
        var throttle = new BandwidthThrottle(new TokenBucket(), bytesPerSecond, _time, CancellationToken.None);
        Assert.Equal(chunk, throttle.ChunkSize);
    }

    [Fact]
    public async Task Under_the_rate_a_wait_completes_at_once_and_over_it_when_the_time_has_come()
    {
        var throttle = new BandwidthThrottle(new TokenBucket(), 1000, _time, CancellationToken.None); // holds 100 bytes

        Assert.True(throttle.WaitAsync(100).IsCompletedSuccessfully);

        var wait = throttle.WaitAsync(20).AsTask();
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Ending_the_session_ends_a_wait()
    {
        using var session = new CancellationTokenSource();
        var throttle = new BandwidthThrottle(new TokenBucket(), 1000, _time, session.Token);
        Assert.True(throttle.WaitAsync(100).IsCompletedSuccessfully);
        var wait = throttle.WaitAsync(1000).AsTask();

        await session.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Connections_sharing_a_tenant_bucket_share_its_rate_evenly_and_a_latecomer_gets_its_share_at_once()
    {
        // Each connection is a send loop as in SocketPipe: reserve a chunk, wait what the reservation
        // says (what WaitAsync delays by), send, reserve the next. Simulated on the fake clock in event
        // order, so the result is exact, not timing-dependent.
        const long Rate = 1_000_000;
        var bucket = new TokenBucket();
        var rate = TokenBucketRate.ForWindow(Rate, BandwidthThrottle.BurstWindow, _time.TimestampFrequency);
        // A connection with more queued than a chunk (its pipe fills while it waits) reserves a whole
        // chunk each turn, so turns in order mean equal bytes.
        var connections = new List<SimulatedSender> { new(bucket, rate, chunk: 16 * 1024), new(bucket, rate, chunk: 16 * 1024) };
        var start = _time.GetUtcNow();
        RunUntil(connections, start + TimeSpan.FromSeconds(5));

        // Over 5 s together they sent the rate (plus the 100 ms bucket), half each. While the bucket
        // was full nobody waited and the first to ask took more (at most the bucket); after that turns
        // alternate, so they differ by the bucket and a chunk at most, not by seconds of rate.
        var total = connections.Sum(c => c.Sent);
        Assert.InRange(total, 5 * Rate, 5 * Rate + Rate / 10 + 2 * 16 * 1024);
        Assert.InRange(Math.Abs(connections[0].Sent - connections[1].Sent), 0, Rate / 10 + 16 * 1024);

        // A third connection joins: from now on each gets a third.
        var before = connections.Select(c => c.Sent).ToArray();
        connections.Add(new(bucket, rate, chunk: 16 * 1024));
        RunUntil(connections, start + TimeSpan.FromSeconds(8));

        var gained = connections.Select((c, i) => c.Sent - (i < before.Length ? before[i] : 0)).ToArray();
        Assert.All(gained, g => Assert.InRange(g, Rate - 3 * 16 * 1024, Rate + 3 * 16 * 1024));
    }

    [Fact]
    public void A_connection_with_little_to_send_leaves_the_rest_of_the_rate_to_the_others()
    {
        const long Rate = 1_000_000;
        var bucket = new TokenBucket();
        var rate = TokenBucketRate.ForWindow(Rate, BandwidthThrottle.BurstWindow, _time.TimestampFrequency);
        var connections = new List<SimulatedSender> { new(bucket, rate, chunk: 16 * 1024), new(bucket, rate, chunk: 1024) };

        RunUntil(connections, _time.GetUtcNow() + TimeSpan.FromSeconds(5));

        // Turn for turn: 16 KiB against 1 KiB, and the tenant's rate is used in full.
        Assert.InRange(connections.Sum(c => c.Sent), 5 * Rate, 5 * Rate + Rate / 10 + 2 * 16 * 1024);
        Assert.InRange(connections[0].Sent / (double)connections[1].Sent, 15.0, 17.0);
    }

    private void RunUntil(List<SimulatedSender> senders, DateTimeOffset end)
    {
        while (true)
        {
            var next = senders.MinBy(s => s.ReadyAt)!;
            if (next.ReadyAt > end)
            {
                return;
            }

            if (next.ReadyAt > _time.GetUtcNow())
            {
                _time.Advance(next.ReadyAt - _time.GetUtcNow());
            }

            next.SendAndReserve(_time);
        }
    }

    private sealed class SimulatedSender(TokenBucket bucket, TokenBucketRate rate, int chunk)
    {
        private bool _reserved;

        public long Sent { get; private set; }

        public DateTimeOffset ReadyAt { get; private set; } = DateTimeOffset.MinValue;

        public void SendAndReserve(TimeProvider time)
        {
            if (_reserved)
            {
                Sent += chunk;
            }

            _reserved = true;
            ReadyAt = time.GetUtcNow() + bucket.Reserve(chunk, rate, time);
        }
    }
}
