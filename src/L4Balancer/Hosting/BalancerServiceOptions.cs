using L4Balancer.Core.Config;

namespace L4Balancer.Hosting;

/// <summary>The config the process started with, and the file to read again on reload.</summary>
internal sealed record BalancerServiceOptions(BalancerConfig InitialConfig, string? ConfigPath);
