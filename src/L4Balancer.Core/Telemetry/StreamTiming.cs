namespace L4Balancer.Core.Telemetry;

/// <summary>
/// When the backend of one relayed connection spoke, as <see cref="TimeProvider.GetTimestamp"/> values:
/// the time to its first byte and the longest silence between two of its reads (issue 16). Fed by the
/// relay's reads from the backend, which take their timestamp anyway for the idle timeout, so a read
/// costs a compare and two stores here: no clock read of its own, no allocation, no lock. One writer
/// (the relay's backend read loop, or the epoll loop thread); read once the relay has stopped.
/// </summary>
/// <remarks>
/// The silence before the first byte is the first-byte time, not a gap: a queued LLM request's wait
/// would otherwise hide every stall inside the streams in the gap histogram. A backend that never sent
/// a byte has no first-byte time, and its gap is the whole time from connect to close: that connection
/// was one silence from start to end, and a backend that accepts and never answers is the worst
/// staller, which the gap histogram must not miss. After the last byte, the time until the close is not a
/// gap either: on a keep-alive connection it is the client's idle time in its pool, and a stream that has
/// ended owes nothing. A layer-4 balancer cannot see where one response ends and the next begins, so the
/// idle time between two responses on a keep-alive connection does count as a gap.
/// </remarks>
internal struct StreamTiming
{
    private long _connected;
    private long _firstRead;
    private long _lastRead;
    private long _maxGap;
    private bool _hasRead;

    /// <summary>The backend connect completed at <paramref name="timestamp"/>; starts the clock afresh.</summary>
    public void Start(long timestamp)
    {
        _connected = timestamp;
        _firstRead = _lastRead = _maxGap = 0;
        _hasRead = false;
    }

    /// <summary>Bytes came from the backend at <paramref name="timestamp"/>; true for the first read.</summary>
    public bool OnRead(long timestamp)
    {
        if (_hasRead)
        {
            var gap = timestamp - _lastRead;
            if (gap > _maxGap)
            {
                _maxGap = gap;
            }

            _lastRead = timestamp;
            return false;
        }

        _hasRead = true;
        _firstRead = _lastRead = timestamp;
        return true;
    }

    /// <summary>Whether the backend sent any byte.</summary>
    public readonly bool HasFirstByte => _hasRead;

    /// <summary>Timestamp ticks from the connect to the first byte; 0 if none came (see <see cref="HasFirstByte"/>).</summary>
    public readonly long FirstByteTicks => _hasRead ? Math.Max(0, _firstRead - _connected) : 0;

    /// <summary>
    /// The longest silence in timestamp ticks, the connection closing at <paramref name="closed"/>: between
    /// two reads, or, if the backend never sent a byte, from connect to close.
    /// </summary>
    public readonly long MaxGapTicks(long closed) => _hasRead ? _maxGap : Math.Max(0, closed - _connected);
}
