using L4Balancer.Core.Telemetry;

namespace L4Balancer.Tests.Telemetry;

/// <summary>The arithmetic behind <c>l4lb_backend_first_byte_seconds</c> and <c>l4lb_backend_max_gap_seconds</c> (issue 16).</summary>
public class StreamTimingTests
{
    private const long Connected = 1_000_000;

    private static StreamTiming Started()
    {
        var timing = default(StreamTiming);
        timing.Start(Connected);
        return timing;
    }

    [Fact]
    public void First_byte_is_the_first_read_after_the_connect_and_only_the_first_read_says_so()
    {
        var timing = Started();
        Assert.False(timing.HasFirstByte);

        Assert.True(timing.OnRead(Connected + 300));
        Assert.False(timing.OnRead(Connected + 310));
        Assert.False(timing.OnRead(Connected + 900));

        Assert.True(timing.HasFirstByte);
        Assert.Equal(300, timing.FirstByteTicks);
    }

    [Fact]
    public void Max_gap_is_the_longest_silence_between_two_reads_not_the_wait_for_the_first()
    {
        var timing = Started();
        long[] reads = [Connected + 300, Connected + 310, Connected + 320, Connected + 820, Connected + 830, Connected + 1030];
        foreach (var read in reads)
        {
            timing.OnRead(read);
        }

        // 300 before the first byte is the first-byte time; inside the stream the longest is 820 - 320.
        Assert.Equal(500, timing.MaxGapTicks(closed: Connected + 1030));
    }

    [Fact]
    public void The_silence_after_the_last_read_until_the_close_is_not_a_gap()
    {
        var timing = Started();
        timing.OnRead(Connected + 10);
        timing.OnRead(Connected + 20);

        // A keep-alive connection idling in the client's pool for a long time after its response.
        Assert.Equal(10, timing.MaxGapTicks(closed: Connected + 1_000_000));
    }

    [Fact]
    public void One_read_only_has_no_gap()
    {
        var timing = Started();
        timing.OnRead(Connected + 50);

        Assert.Equal(0, timing.MaxGapTicks(closed: Connected + 5000));
        Assert.Equal(50, timing.FirstByteTicks);
    }

    [Fact]
    public void A_backend_that_never_sent_a_byte_has_no_first_byte_and_its_gap_is_connect_to_close()
    {
        var timing = Started();

        Assert.False(timing.HasFirstByte);
        Assert.Equal(0, timing.FirstByteTicks);
        Assert.Equal(42_000, timing.MaxGapTicks(closed: Connected + 42_000));
    }

    [Fact]
    public void Reads_in_the_same_instant_are_a_gap_of_zero_and_a_clock_read_earlier_than_the_connect_is_clamped()
    {
        var timing = Started();
        timing.OnRead(Connected - 5); // a timestamp taken on another core just before the connect's: never negative
        timing.OnRead(Connected - 5);

        Assert.Equal(0, timing.FirstByteTicks);
        Assert.Equal(0, timing.MaxGapTicks(closed: Connected));
        Assert.Equal(0, Started().MaxGapTicks(closed: Connected - 1));
    }

    [Fact]
    public void Start_forgets_an_earlier_connect()
    {
        var timing = Started();
        timing.OnRead(Connected + 10);
        timing.OnRead(Connected + 500);

        timing.Start(Connected + 1000);

        Assert.False(timing.HasFirstByte);
        Assert.True(timing.OnRead(Connected + 1007));
        Assert.Equal(7, timing.FirstByteTicks);
        Assert.Equal(0, timing.MaxGapTicks(closed: Connected + 2000));
    }
}
