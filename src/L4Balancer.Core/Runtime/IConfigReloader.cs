namespace L4Balancer.Core.Runtime;

/// <summary>
/// Reads the config file again and applies it: the one path SIGHUP and <c>POST /api/reload</c> share,
/// so both validate, count and notify systemd the same way. Declared next to the engine so the admin
/// API can ask for a reload without knowing the host that implements it. A process without a config
/// file (the demo) answers <see cref="ReloadResult.Unavailable"/> rather than having no reloader.
/// </summary>
internal interface IConfigReloader
{
    Task<ReloadResult> ReloadAsync(CancellationToken cancellationToken);
}
