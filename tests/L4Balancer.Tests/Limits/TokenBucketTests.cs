using L4Balancer.Core.Limits;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Limits;

public class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new();

    private TokenBucketRate Tokens(long perSecond, long burst) => TokenBucketRate.ForTokens(perSecond, burst, _time.TimestampFrequency);

    [Fact]
    public void A_new_bucket_is_full_and_gives_exactly_its_burst_to_simultaneous_takers()
    {
        var bucket = new TokenBucket();
        var rate = Tokens(5, 5);
        var taken = 0;

        // The fake clock stands still: no token can be added while the takers race.
        Contention.Run(8, _ =>
        {
            for (var i = 0; i < 25; i++)
            {
                if (bucket.TryTake(rate, _time))
                {
                    Interlocked.Increment(ref taken);
                }
            }
        });

        Assert.Equal(5, taken);
    }

    [Fact]
    public void An_empty_bucket_refills_one_token_per_period()
    {
        var bucket = new TokenBucket();
        var rate = Tokens(5, 5); // one token every 200 ms
        for (var i = 0; i < 5; i++)
        {
            Assert.True(bucket.TryTake(rate, _time));
        }

        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(bucket.TryTake(rate, _time));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.TryTake(rate, _time));
        Assert.False(bucket.TryTake(rate, _time));
    }

    [Fact]
    public void A_long_idle_bucket_holds_no_more_than_its_burst()
    {
        var bucket = new TokenBucket();
        var rate = Tokens(2, 10);
        _time.Advance(TimeSpan.FromHours(1));

        var taken = 0;
        while (bucket.TryTake(rate, _time))
        {
            taken++;
        }

        Assert.Equal(10, taken);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(bucket.TryTake(rate, _time));
        Assert.False(bucket.TryTake(rate, _time));
    }

    [Fact]
    public void A_rate_that_does_not_divide_the_clock_keeps_to_the_rate_over_time()
    {
        var bucket = new TokenBucket();
        var rate = Tokens(3, 3);
        while (bucket.TryTake(rate, _time))
        {
        }

        var taken = 0;
        for (var ms = 0; ms < 10_000; ms++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            if (bucket.TryTake(rate, _time))
            {
                taken++;
            }
        }

        // 3/s for 10 s; the cost is rounded up to whole clock ticks, so never more than 30.
        Assert.InRange(taken, 29, 30);
    }

    [Fact]
    public void A_changed_rate_applies_to_the_next_take_and_the_bucket_is_not_refilled()
    {
        // A reload keeps the bucket (its state is a time) and brings new limits.
        var bucket = new TokenBucket();
        var before = Tokens(5, 5);
        while (bucket.TryTake(before, _time))
        {
        }

        var after = Tokens(10, 10); // one token every 100 ms
        Assert.False(bucket.TryTake(after, _time));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(bucket.TryTake(after, _time));
        Assert.False(bucket.TryTake(after, _time));
    }

    [Fact]
    public void Reservations_within_the_bucket_need_no_wait_and_beyond_it_wait_in_order()
    {
        var bucket = new TokenBucket();
        var rate = TokenBucketRate.ForWindow(1000, TimeSpan.FromMilliseconds(100), _time.TimestampFrequency); // holds 100 bytes

        Assert.Equal(TimeSpan.Zero, bucket.Reserve(100, rate, _time));
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Reserve(100, rate, _time));
        Assert.Equal(TimeSpan.FromMilliseconds(150), bucket.Reserve(50, rate, _time));

        _time.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal(TimeSpan.FromMilliseconds(10), bucket.Reserve(10, rate, _time));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, bucket.Reserve(100, rate, _time));
        Assert.Equal(TimeSpan.FromMilliseconds(1), bucket.Reserve(1, rate, _time));
    }

    [Fact]
    public void Simultaneous_reservations_never_overlap()
    {
        var bucket = new TokenBucket();
        var rate = TokenBucketRate.ForWindow(1000, TimeSpan.FromMilliseconds(100), _time.TimestampFrequency);
        var waits = new TimeSpan[200];

        Contention.Run(8, worker =>
        {
            for (var i = worker; i < waits.Length; i += 8)
            {
                waits[i] = bucket.Reserve(10, rate, _time);
            }
        });

        // 200 reservations of 10 bytes at 1000 B/s, 100 bytes free: the waits are exactly
        // 0 (ten of them) and then 10 ms, 20 ms, … 1900 ms, each once.
        var expected = Enumerable.Range(0, 200).Select(i => TimeSpan.FromMilliseconds(Math.Max(0, (i - 9) * 10))).ToArray();
        Assert.Equal(expected, waits.Order());
    }
}
