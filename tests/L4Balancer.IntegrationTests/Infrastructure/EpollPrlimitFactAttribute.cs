using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A <see cref="PrlimitFactAttribute"/> fact that only holds on the epoll transport: skipped, with the
/// reason, when the suite runs on sockets.
/// </summary>
public sealed class EpollPrlimitFactAttribute : FactAttribute
{
    public EpollPrlimitFactAttribute(string reason)
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (/proc, RLIMIT_NOFILE)";
        }
        else if (PrlimitFactAttribute.Path is null)
        {
            Skip = "prlimit not installed (Debian package \"util-linux\")";
        }
        else if (TestTransport.Effective != TransportKind.Epoll)
        {
            Skip = $"not on the sockets transport: {reason}";
        }
    }
}
