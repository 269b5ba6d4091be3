using L4Balancer.Core.Runtime;
using L4Balancer.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace L4Balancer.IntegrationTests.Lifecycle;

internal static class Reloading
{
    /// <summary>The host's reload path (the one SIGHUP and the admin API use) over an in-process engine.</summary>
    public static ConfigReloader Reloader(BalancerEngine engine, ConfigFile file, IReloadNotifier notifier, HostOptions? hostOptions = null) =>
        new(engine, new BalancerServiceOptions(engine.Current.Config, file.Path), notifier, Options.Create(hostOptions ?? new HostOptions()), new L4Balancer.Logging.LogLevelSource(engine.Current.Config.Global.LogLevel), NullLogger<ConfigReloader>.Instance);
}
