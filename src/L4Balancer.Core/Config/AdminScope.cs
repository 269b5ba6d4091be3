namespace L4Balancer.Core.Config;

/// <summary>
/// What an admin token may do (<c>[[admin.token]] scope</c>). Ordered: a scope includes every one below it,
/// so a check is a comparison.
/// </summary>
internal enum AdminScope
{
    /// <summary>Status, metrics, the dashboard: what a Prometheus scraper or a dashboard viewer needs.</summary>
    Read = 1,

    /// <summary>Also drain, undrain, weight and reload: changes what the balancer does.</summary>
    Operate = 2,
}
