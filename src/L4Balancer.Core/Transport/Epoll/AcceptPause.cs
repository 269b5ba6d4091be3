namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// One listener's accept pause, shared by every loop accepting on its socket. When one loop's
/// <c>accept4</c> fails for lack of descriptors the listener releases its spare descriptors for the
/// runtime; without this, another loop still in its accept batch took them for new connections at once
/// (up to a batch of 64, as many as the spares), and the runtime, left with none, aborted with
/// "Out of memory." (seen in CI). Every loop checks it before each accept.
/// </summary>
internal sealed class AcceptPause(TimeProvider time)
{
    private long _until = long.MinValue;

    public bool IsPaused => time.GetTimestamp() < Volatile.Read(ref _until);

    /// <summary>No loop accepts on this listener for <paramref name="pause"/> from now.</summary>
    public void PauseFor(TimeSpan pause) =>
        Volatile.Write(ref _until, time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency));
}
