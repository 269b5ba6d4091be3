namespace L4Balancer.Core.Limits;

/// <summary>
/// One direction of one connection of a tenant with a <c>bandwidth</c> limit: the send loop asks it for
/// each chunk before sending, and waits its turn. The bucket is the tenant's, shared by all of its
/// connections in that direction; since each connection reserves one chunk at a time and
/// reservations are served in order, connections sharing the bucket take turns chunk by chunk and
/// none can starve the others. While a send waits, the pipe behind it fills to its pause threshold
/// and the receive side stops reading: the wait is backpressure, not buffering.
/// </summary>
/// <remarks>Created only for tenants with a limit, so the unlimited relay path has no throttle at all.</remarks>
internal sealed class BandwidthThrottle
{
    /// <summary>
    /// The bucket holds 100 ms of the rate: an idle tenant may send that much at once, and timer
    /// wake-ups that come late (thread-pool timers are coarse) are absorbed without losing rate.
    /// </summary>
    public static readonly TimeSpan BurstWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The most one reservation takes: small enough that connections interleave finely, large enough
    /// that a limited tenant does not pay a syscall per few bytes.
    /// </summary>
    public const int MaxChunk = 16 * 1024;

    // Task.Delay's limit; a longer wait (a tiny rate shared by a multitude) just resumes early.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TokenBucket _bucket;
    private readonly TokenBucketRate _rate;
    private readonly TimeProvider _time;
    private readonly CancellationToken _cancellation;

    public BandwidthThrottle(TokenBucket bucket, long bytesPerSecond, TimeProvider time, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        _bucket = bucket;
        _rate = TokenBucketRate.ForWindow(bytesPerSecond, BurstWindow, time.TimestampFrequency);
        _time = time;
        _cancellation = cancellation;

        // About 50 chunks a second at the tenant's whole rate, never more than MaxChunk.
        ChunkSize = (int)Math.Clamp(bytesPerSecond / 50, 1, MaxChunk);
    }

    /// <summary>The most the send loop sends per <see cref="WaitAsync"/>.</summary>
    public int ChunkSize { get; }

    /// <summary>
    /// Completes when <paramref name="bytes"/> may be sent; synchronously (no allocation) when the
    /// tenant is under its rate. Throws <see cref="OperationCanceledException"/> when the session ends.
    /// </summary>
    /// <summary>
    /// Takes <paramref name="bytes"/> tokens now and says how long to wait before sending them (zero: at
    /// once); for an event loop that arms its own timer instead of awaiting <see cref="WaitAsync"/>.
    /// </summary>
    public TimeSpan Reserve(int bytes)
    {
        var wait = _bucket.Reserve(bytes, _rate, _time);
        return wait < MaxDelay ? wait : MaxDelay;
    }

    public ValueTask WaitAsync(int bytes)
    {
        var wait = _bucket.Reserve(bytes, _rate, _time);
        return wait <= TimeSpan.Zero ? ValueTask.CompletedTask : new ValueTask(Task.Delay(wait < MaxDelay ? wait : MaxDelay, _time, _cancellation));
    }
}
