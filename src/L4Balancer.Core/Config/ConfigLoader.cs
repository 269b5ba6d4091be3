using System.Diagnostics;
using System.Net;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads and validates the TOML config: TOML syntax first (Tomlyn), then the schema and the
/// cross-references, reporting every problem as <c>FILE:LINE: message</c>.
/// </summary>
internal static class ConfigLoader
{
    /// <summary>
    /// The config file is read whole before parsing; a bound keeps a wrong path (a log, an image, a
    /// device) from filling the memory of a running balancer on reload. Real configs are kilobytes.
    /// </summary>
    public const int MaxConfigBytes = 16 * 1024 * 1024;

    /// <summary>How long one backend host name lookup may take (the resolver's own default timeout).</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// All lookups of one load together: a config naming many hosts behind a dead resolver must still
    /// fail <c>check</c> (and a reload) within seconds, not hosts × timeout.
    /// </summary>
    public static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(10);

    /// <param name="path">Used as written in messages; <see cref="BalancerConfig.SourcePath"/> gets the full path for reloads.</param>
    public static ConfigLoadResult LoadFile(string path) => LoadFile(path, Environment.GetEnvironmentVariable);

    /// <param name="environment">For <c>${NAME}</c> in string values (a seam for tests): null when a variable is not set.</param>
    public static ConfigLoadResult LoadFile(string path, Func<string, string?> environment)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            return new ConfigLoadResult(null, [new ConfigError(path, null, $"cannot read the config file: {e.Message}")]);
        }

        if (!BoundedFile.TryRead(fullPath, MaxConfigBytes, out var bytes, out var error))
        {
            return new ConfigLoadResult(null, [new ConfigError(path, null, $"cannot read the config file: {error}")]);
        }

        // The included files share what the main file left of the limit.
        var result = Parse(ConfigSources.Decode(bytes), path, DefaultResolver(), environment, MaxConfigBytes - bytes.Length);
        return result.IsValid ? result with { Config = result.Config with { SourcePath = fullPath } } : result;
    }

    public static ConfigLoadResult Parse(string text, string fileName) =>
        Parse(text, fileName, DefaultResolver(), Environment.GetEnvironmentVariable, MaxConfigBytes);

    /// <summary>Resolves backend host names within <see cref="LookupBudget"/> for the whole load.</summary>
    private static Func<string, IPAddress[]> DefaultResolver()
    {
        var started = Stopwatch.GetTimestamp();
        return host =>
        {
            var left = LookupBudget - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"not looked up: the lookups of this config took more than {LookupBudget.TotalSeconds:0.#} s in all");
            }

            return ResolveHost(host, Dns.GetHostAddressesAsync, left < LookupTimeout ? left : LookupTimeout);
        };
    }

    /// <param name="resolveHost">DNS for backend host names; tests pass a fake one.</param>
    public static ConfigLoadResult Parse(string text, string fileName, Func<string, IPAddress[]> resolveHost) =>
        Parse(text, fileName, resolveHost, Environment.GetEnvironmentVariable, MaxConfigBytes);

    /// <param name="text">The main file; the files it includes are read from disk, relative to <paramref name="fileName"/>.</param>
    /// <param name="resolveHost">DNS for backend host names; tests pass a fake one.</param>
    /// <param name="environment">For <c>${NAME}</c>; tests pass a fake one.</param>
    /// <param name="includeBytes">What the included files may add up to.</param>
    public static ConfigLoadResult Parse(string text, string fileName, Func<string, IPAddress[]> resolveHost, Func<string, string?> environment, int includeBytes = MaxConfigBytes)
    {
        var diagnostics = new ConfigDiagnostics(fileName);
        var (root, incomplete, included) = ConfigSources.Read(text, fileName, diagnostics, environment, includeBytes);
        if (root is null || incomplete)
        {
            return new ConfigLoadResult(null, diagnostics.ToList()) { Warnings = diagnostics.Warnings() };
        }

        var config = new ConfigBinder(diagnostics, resolveHost, DirectoryOf(fileName)).Bind(root);
        return diagnostics.HasErrors
            ? new ConfigLoadResult(null, diagnostics.ToList()) { Warnings = diagnostics.Warnings() }
            : new ConfigLoadResult(config with { IncludedFiles = included }, []) { Warnings = diagnostics.Warnings() };
    }

    /// <summary>
    /// <c>localhost</c> is loopback by definition (RFC 6761 §6.3), so it resolves without a resolver or
    /// an /etc/hosts entry: the example config and the demo must validate on an offline machine.
    /// Otherwise <paramref name="lookup"/> gets <paramref name="timeout"/>: getaddrinfo retries for as
    /// long as resolv.conf says (attempts × servers × timeout, easily half a minute per name), and
    /// <c>check</c> or a reload must not wait that long for an answer that will not come.
    /// </summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    public static IPAddress[] ResolveHost(string host, Func<string, CancellationToken, Task<IPAddress[]>> lookup, TimeSpan timeout)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback];
        }

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            // The lookup may not honour the token (getaddrinfo cannot be interrupted); WaitAsync stops
            // waiting for it anyway, and the abandoned lookup ends on its own.
            return lookup(host, cancellation.Token).WaitAsync(timeout).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            throw new TimeoutException($"no answer within {timeout.TotalSeconds:0.###} s", e);
        }
    }

    /// <summary>The config file's directory; the working directory for text that came from no file (tests, the demo).</summary>
    private static string DirectoryOf(string fileName)
    {
        try
        {
            return Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Environment.CurrentDirectory;
        }
        catch (ArgumentException)
        {
            return Environment.CurrentDirectory;
        }
    }
}
