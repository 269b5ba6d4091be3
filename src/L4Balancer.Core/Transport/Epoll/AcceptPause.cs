namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// One listener's accept pause, shared by every loop accepting on its socket. When one loop's
/// <c>accept4</c> fails for lack of descriptors the listener releases its spare descriptors for the
/// runtime; without this, the other loops kept accepting on the same socket, each new connection taking
/// descriptors (its own, a backend's, pipes) out of those spares, until their own accept failed. Every
/// loop checks it before each accept.
/// </summary>
internal sealed class AcceptPause(TimeProvider time)
{
    private long _until = long.MinValue;

    public bool IsPaused => time.GetTimestamp() < Volatile.Read(ref _until);

    /// <summary>No loop accepts on this listener for <paramref name="pause"/> from now.</summary>
    public void PauseFor(TimeSpan pause) =>
        Volatile.Write(ref _until, time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency));
}
