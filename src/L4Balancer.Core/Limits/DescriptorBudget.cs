using L4Balancer.Core.Config;

namespace L4Balancer.Core.Limits;

/// <summary>
/// How many connections the open-files limit can hold (issue 11, defect 2). At its RLIMIT_NOFILE the
/// process used to abort: the runtime needs descriptors too (a new thread's pipe2() got EMFILE and
/// the CLR failed fast with "Out of memory."), while <c>max_connections = 0</c> let connections take
/// every last one. So descriptors are reserved first and connections get what is left, two each:
/// <list type="bullet">
/// <item><see cref="RuntimeReserve"/> for the runtime and the host: 207 open on an idle Debug build
/// after every admin route, a reload and a relayed connection (two per loaded assembly, epoll,
/// pipes, stdio, inotify), plus the <see cref="SpareDescriptors.Count"/> spares, leaving ~175 for
/// assemblies loaded later, DNS at reload, and sockets accepted only to be refused;</item>
/// <item>one per listener (its listening socket);</item>
/// <item>with <c>[admin]</c>, its listening socket and <see cref="AdminConnections"/>, the admin
/// endpoint's connection bound;</item>
/// <item>one per backend (of every tenant), for its health check's socket.</item>
/// </list>
/// The effective <c>max_connections</c> is the configured one when it fits, else the budget. The counts
/// are checked against it by <see cref="Admission"/>; a connection refused for it is <c>global_limit</c>.
/// </summary>
internal sealed class DescriptorBudget
{
    public const int RuntimeReserve = 448;

    /// <summary>Concurrent connections the admin endpoint accepts (Kestrel's <c>MaxConcurrentConnections</c>).</summary>
    public const int AdminConnections = 64;

    /// <summary>A proxied connection holds the client's socket and the backend's.</summary>
    public const int DescriptorsPerConnection = 2;

    private DescriptorFigures? _figures;

    /// <summary>The figures now in force, or null when the limit is unknown (then only the configured limit applies).</summary>
    public DescriptorFigures? Current => Volatile.Read(ref _figures);

    /// <summary>Descriptors reserved for everything but proxied connections under <paramref name="config"/>.</summary>
    public static int ReserveFor(BalancerConfig config) =>
        RuntimeReserve
        + config.Listeners.Count
        + (config.Admin is null ? 0 : 1 + AdminConnections)
        + config.Tenants.Sum(t => t.Backends.Count);

    public static DescriptorFigures Compute(long limit, BalancerConfig config)
    {
        var reserved = ReserveFor(config);

        // Even a limit below the reserve admits one connection: 0 would read as "unlimited".
        var connections = Math.Clamp((limit - reserved) / DescriptorsPerConnection, 1, int.MaxValue);
        return new DescriptorFigures(limit, reserved, (int)connections);
    }

    /// <summary>
    /// The limit to check a connection against: <paramref name="configured"/> (<c>global.max_connections</c>,
    /// 0 = unlimited) when the budget is unknown or larger, else the budget.
    /// </summary>
    public int Limit(int configured) => Volatile.Read(ref _figures) is { } figures && (configured <= 0 || configured > figures.MaxConnections)
        ? figures.MaxConnections
        : configured;

    /// <summary>Puts <paramref name="figures"/> in force; true if they differ from the ones before.</summary>
    public bool Update(DescriptorFigures figures) => Interlocked.Exchange(ref _figures, figures) != figures;
}
