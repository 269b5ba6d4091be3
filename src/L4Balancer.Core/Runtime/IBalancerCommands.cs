namespace L4Balancer.Core.Runtime;

/// <summary>
/// What an operator may tell a running engine besides a reload (that is <see cref="IConfigReloader"/>'s,
/// which also reads the file). Each command logs what it changed.
/// </summary>
internal interface IBalancerCommands
{
    /// <summary>Drains (no new connections, open ones continue) or undrains a backend; says why nothing happened otherwise.</summary>
    /// <param name="address">As written in the config (case-insensitive), or as resolved.</param>
    DrainResult SetDraining(string tenant, string address, bool draining);

    /// <summary>
    /// Sets a backend's weight on this instance (0 = no new connections), kept until a reload changes its
    /// configured weight; the configured weight itself clears the override. Says why nothing happened otherwise.
    /// </summary>
    /// <param name="weight">0 or more.</param>
    DrainResult SetWeight(string tenant, string address, int weight);

    /// <summary>
    /// An accept outside the engine (the admin endpoint's) found no descriptor: give up the spare ones
    /// so the runtime can keep working, as the engine's own accept loops do.
    /// </summary>
    void ReleaseSpareDescriptors();
}
