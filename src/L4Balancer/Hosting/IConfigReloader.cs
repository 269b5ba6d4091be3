namespace L4Balancer.Hosting;

/// <summary>
/// Reads the config file again and applies it: the one path SIGHUP and <c>POST /api/reload</c> share,
/// so both validate, count and notify systemd the same way.
/// </summary>
internal interface IConfigReloader
{
    Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken);
}
