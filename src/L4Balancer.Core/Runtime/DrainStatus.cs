namespace L4Balancer.Core.Runtime;

/// <summary>What a drain or undrain asked of the engine came to (see <see cref="DrainResult"/>).</summary>
internal enum DrainStatus
{
    /// <summary>The backend is now in the asked state (it may have been already).</summary>
    Applied,

    /// <summary>The engine has not loaded its config yet: there is nothing to drain.</summary>
    NotStarted,

    NoSuchTenant,

    NoSuchBackend,
}
