namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// A deadline on an <see cref="EpollLoop"/>. The owner keeps one and re-arms it (a connect timeout, then
/// an idle timeout), so arming allocates nothing; the loop keeps armed timers in a heap and calls
/// <see cref="Callback"/> on its thread once the deadline has passed.
/// </summary>
internal sealed class LoopTimer(Action<object?> callback, object? state)
{
    public Action<object?> Callback { get; } = callback;

    public object? State { get; } = state;

    /// <summary>The deadline, as a <see cref="TimeProvider.GetTimestamp"/> value.</summary>
    internal long Due { get; set; }

    /// <summary>Position in the loop's heap; -1 when not armed.</summary>
    internal int HeapIndex { get; set; } = -1;

    public bool IsArmed => HeapIndex >= 0;
}
