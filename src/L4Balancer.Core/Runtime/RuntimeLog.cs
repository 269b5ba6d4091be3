using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Runtime;

internal static partial class RuntimeLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "config generation {Generation} applied: listeners added [{Added}], removed [{Removed}], kept [{Kept}]")]
    public static partial void Reloaded(ILogger logger, long generation, string added, string removed, string kept);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "reload failed, generation {Generation} keeps serving unchanged: {Error}")]
    public static partial void ReloadFailed(ILogger logger, long generation, string error);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "listener {Listener} removed: {Count} open connections drain for up to {Timeout}")]
    public static partial void ListenerRemoved(ILogger logger, string listener, int count, string timeout);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "removed listeners' drain timeout reached: closing {Count} connections")]
    public static partial void RemovedListenerDrainTimedOut(ILogger logger, int count);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} added")]
    public static partial void BackendAdded(ILogger logger, string tenant, string backend);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} removed from the config; its {Count} open connections continue")]
    public static partial void BackendRemoved(ILogger logger, string tenant, string backend, int count);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} draining: no new connections, {Count} open ones continue")]
    public static partial void BackendDraining(ILogger logger, string tenant, string backend, int count);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} back in rotation (undrained)")]
    public static partial void BackendUndrained(ILogger logger, string tenant, string backend);

    [LoggerMessage(EventId = 4108, Message = "descriptor budget: nofile={Limit}, reserved={Reserved}, max_connections={MaxConnections} (configured {Configured}){Note}")]
    public static partial void DescriptorBudget(ILogger logger, LogLevel level, long limit, int reserved, int maxConnections, int configured, string note);

    [LoggerMessage(EventId = 4109, Level = LogLevel.Warning, Message = "out of descriptors (EMFILE): released {Count} spare descriptors so the runtime can keep working; new connections are refused until descriptors free up")]
    public static partial void SparesReleased(ILogger logger, int count);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "open-files limit lowered to {Limit} with {Open} descriptors open: released {Count} spare descriptors so the runtime can keep working")]
    public static partial void SparesReleasedForLowerLimit(ILogger logger, long limit, string open, int count);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "descriptors free again: {Count} spare descriptors taken back")]
    public static partial void SparesRestored(ILogger logger, int count);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "reload: [cluster] changed; it is read at start only, so the running membership is kept until a restart or upgrade")]
    public static partial void ClusterConfigKept(ILogger logger);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} weight set to {Weight} (was {Previous}, configured {Configured}); kept until a reload changes its configured weight")]
    public static partial void BackendWeightSet(ILogger logger, string tenant, string backend, int weight, int previous, int configured);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} weight {Override} set through the admin API cleared: the reload changed its configured weight from {Old} to {New}")]
    public static partial void BackendWeightOverrideCleared(ILogger logger, string tenant, string backend, int @override, int old, int @new);
}
