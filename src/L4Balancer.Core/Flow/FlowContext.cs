using L4Balancer.Core.Limits;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Flow;

/// <summary>What every connection flow of one engine shares; nothing here belongs to a transport.</summary>
internal sealed class FlowContext
{
    public FlowContext(ILoggerFactory loggerFactory, TimeProvider timeProvider, ConnectionRegistry registry, RejectionCounters rejections, GlobalLimitState limits, BalancerMetrics metrics)
    {
        Limits = limits;
        Metrics = metrics;
        Rejections = rejections;
        TimeProvider = timeProvider;
        Registry = registry;
        Logger = loggerFactory.CreateLogger("L4Balancer.Proxy");
        AccessLogger = loggerFactory.CreateLogger(Telemetry.AccessLog.Category);
        BackendSocketFailures = new LogThrottle(timeProvider, TimeSpan.FromSeconds(10));
        ProxyHeaderFailures = new LogThrottle(timeProvider, TimeSpan.FromSeconds(10));
    }

    public TimeProvider TimeProvider { get; }

    public ConnectionRegistry Registry { get; }

    public RejectionCounters Rejections { get; }

    /// <summary>Process-wide admission counts (connections, per IP, pending handshakes).</summary>
    public GlobalLimitState Limits { get; }

    public BalancerMetrics Metrics { get; }

    public ILogger Logger { get; }

    public ILogger AccessLogger { get; }

    /// <summary>
    /// Called when a backend socket cannot be created for want of descriptors, as the accept loops do
    /// on EMFILE: the engine gives its spare descriptors up so the runtime can still work.
    /// </summary>
    public Action OutOfDescriptors { get; init; } = static () => { };

    /// <summary>Backend sockets that could not be created (descriptor limit): logged once per interval.</summary>
    public LogThrottle BackendSocketFailures { get; }

    /// <summary>accept_proxy connections closed as proxy_header: logged once per interval (a misconfigured or hostile peer repeats).</summary>
    public LogThrottle ProxyHeaderFailures { get; }
}
