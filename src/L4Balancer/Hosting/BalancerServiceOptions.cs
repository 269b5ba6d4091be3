using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;

namespace L4Balancer.Hosting;

/// <summary>The config the process started with, the file to read again on reload, and how the engine starts (fresh, or taking over).</summary>
internal sealed record BalancerServiceOptions(BalancerConfig InitialConfig, string? ConfigPath, EngineStart? Start = null);
