using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Admin;

/// <summary>
/// The one way into this folder for a host: it adds the admin endpoint and then talks to it only through
/// Core's abstractions (<see cref="IAdminHandover"/>, <see cref="BindFailedException"/>), so the host
/// depends on Admin for this method alone and Admin not at all on the host.
/// </summary>
internal static class AdminServiceCollectionExtensions
{
    /// <summary>
    /// Adds the admin endpoint on <c>[admin].listen</c> as a hosted service, and as the
    /// <see cref="IAdminHandover"/> upgrades and shutdown use. It reads the <see cref="IBalancerState"/>,
    /// <see cref="IBalancerCommands"/>, <see cref="IConfigReloader"/>, <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> registered.
    /// Hosted services start in order and stop in reverse: add it before the engine's service.
    /// </summary>
    /// <param name="adopted">Sockets handed over by a predecessor or by systemd, one of which may be the admin's; or null.</param>
    public static IServiceCollection AddAdminEndpoint(this IServiceCollection services, AdminConfig config, AdoptedSockets? adopted)
    {
        services.AddSingleton(sp => new AdminServer(
            sp.GetRequiredService<IBalancerState>(),
            sp.GetRequiredService<IBalancerCommands>(),
            config,
            sp.GetRequiredService<IConfigReloader>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            adopted));
        services.AddSingleton<IAdminHandover>(sp => sp.GetRequiredService<AdminServer>());
        services.AddHostedService(sp => sp.GetRequiredService<AdminServer>());
        return services;
    }
}
