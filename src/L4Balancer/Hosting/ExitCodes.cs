namespace L4Balancer.Hosting;

/// <summary>
/// The process exit codes (SPEC "Command line"). Here rather than on <c>Program</c>: the host and the
/// demo return them too, and nothing may depend on the composition root.
/// </summary>
internal static class ExitCodes
{
    /// <summary>A clean drain, a valid config, <c>--version</c>.</summary>
    public const int Ok = 0;

    /// <summary>A fatal error, e.g. a bind that fails.</summary>
    public const int Fatal = 1;

    /// <summary>An invalid config (or command line).</summary>
    public const int BadConfig = 2;
}
