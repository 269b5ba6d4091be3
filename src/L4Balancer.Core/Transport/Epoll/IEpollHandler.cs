namespace L4Balancer.Core.Transport.Epoll;

/// <summary>Something registered with an <see cref="EpollLoop"/>: a listener, one leg of a relay.</summary>
internal interface IEpollHandler
{
    /// <summary>Called on the loop's thread with what epoll reported for the descriptor.</summary>
    void OnEvents(EpollEvents events);
}
