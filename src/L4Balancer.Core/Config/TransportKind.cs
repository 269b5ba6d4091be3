namespace L4Balancer.Core.Config;

/// <summary><c>[global] transport</c>.</summary>
internal enum TransportKind
{
    /// <summary>The sockets transport today; epoll once it covers every feature (see the README).</summary>
    Auto,

    /// <summary>.NET sockets and pipelines: every byte copied through user space.</summary>
    Sockets,

    /// <summary>Event loops on raw descriptors, splice(2) relay (Linux).</summary>
    Epoll,
}
