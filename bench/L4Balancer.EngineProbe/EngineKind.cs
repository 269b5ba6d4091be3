namespace L4Balancer.EngineProbe;

internal enum EngineKind
{
    Epoll,
    Uring,
    UringMultishot,
}
