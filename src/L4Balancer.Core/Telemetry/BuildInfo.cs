using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace L4Balancer.Core.Telemetry;

/// <summary>
/// What is running: the product version, the commit it was built from, and the .NET runtime. The source
/// of <c>l4lb_build_info</c> and of the version <c>--version</c> and <c>/api/status</c> print, so the
/// three never disagree.
/// </summary>
internal sealed record BuildInfo(string Version, string Commit, string Runtime)
{
    public const string UnknownCommit = "unknown";

    /// <summary>
    /// What <c>--version</c> prints, on one line: <c>l4balancer 0.1.0 (commit 8967c09…, .NET 10.0.12, linux-x64)</c>.
    /// One line, the version second, because scripts read it with <c>awk '{print $2}'</c> (bench/*.sh).
    /// A Native AOT build says so: it is the same source but a different runtime (no JIT).
    /// </summary>
    public string VersionLine =>
        $"l4balancer {Version} (commit {Commit}, {Runtime}, {RuntimeInformation.RuntimeIdentifier}{(RuntimeFeature.IsDynamicCodeSupported ? "" : ", Native AOT")})";

    /// <summary>
    /// Read from this assembly: Directory.Build.props gives every assembly of the build the same version,
    /// and the SDK embeds the same source revision in each. The revision is the build's: the SDK's source
    /// link support reads HEAD from the checkout's .git at build time (SourceRevisionId) and appends it
    /// to the informational version; built outside a git checkout (a source tarball) there is none.
    /// </summary>
    public static BuildInfo Current { get; } = From(typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>
    /// Splits an informational version such as <c>0.1.0+bae0b0b0…</c>: the SDK appends <c>+</c> and the
    /// commit when it builds from a git checkout, and nothing when it cannot tell (a source tarball).
    /// </summary>
    public static BuildInfo From(string? informationalVersion)
    {
        var parts = (informationalVersion ?? "0.0.0").Split('+', 2);
        var commit = parts.Length == 2 && parts[1].Length > 0 ? parts[1] : UnknownCommit;
        return new BuildInfo(parts[0], commit, RuntimeInformation.FrameworkDescription);
    }
}
