namespace L4Balancer.Core.Config;

/// <summary><c>[global] transport</c>.</summary>
internal enum TransportKind
{
    /// <summary>Epoll where its system calls work (Linux, probed at start), else sockets.</summary>
    Auto,

    /// <summary>.NET sockets and pipelines: every byte copied through user space.</summary>
    Sockets,

    /// <summary>Event loops on raw descriptors, splice(2) relay (Linux).</summary>
    Epoll,
}
