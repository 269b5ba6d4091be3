namespace L4Balancer.Core.Net;

/// <summary>
/// The back-off and log rate of one accept loop whose accept fails (EMFILE/ENFILE at the open-files
/// limit, ENOBUFS, ENOMEM). Retrying at once spins a core, as Kestrel's socket listener did at the limit
/// (issue 11); logging every failure writes ten lines a second per listener for as long as it lasts.
/// The loop pauses <see cref="Pause"/> after each failure, logs the first one at once and then at most
/// one line per <see cref="LogInterval"/> with the count since the last, and says when accepting
/// works again. Used by one accept loop only (not thread-safe).
/// </summary>
internal sealed class AcceptFailures
{
    /// <summary>
    /// Long enough that a loop at the limit costs nothing, short enough that a descriptor freed by a
    /// closing connection is used within a tenth of a second; the kernel's backlog holds the clients meanwhile.
    /// </summary>
    public static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _timeProvider;
    private long _lastReport;
    private int _sinceReport;
    private int _inEpisode;

    public AcceptFailures(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>True between a failure and the next successful accept: the loop calls <see cref="Recovered"/> then.</summary>
    public bool Failing { get; private set; }

    /// <summary>Counts one failure; returns how many to report now (failures since the last line), or 0 to stay quiet.</summary>
    public int Failed()
    {
        _sinceReport++;
        _inEpisode++;
        var now = _timeProvider.GetTimestamp();
        if (Failing && _timeProvider.GetElapsedTime(_lastReport, now) < LogInterval)
        {
            return 0;
        }

        Failing = true;
        _lastReport = now;
        var count = _sinceReport;
        _sinceReport = 0;
        return count;
    }

    /// <summary>An accept succeeded after failures: returns how many failed in a row (to log), and starts afresh.</summary>
    public int Recovered()
    {
        var count = _inEpisode;
        Failing = false;
        _sinceReport = 0;
        _inEpisode = 0;
        return count;
    }
}
