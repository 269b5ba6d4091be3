using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace L4Balancer.LoadTest.Scenarios.Soak;

/// <summary>
/// The balancer under soak: the real <c>l4balancer</c> executable as a child process, with a config
/// generated into a temp directory (listeners on 127.0.0.1 port 0, read back from /api/status), its
/// output kept in a log file there, and its admin endpoint read for the end-of-run checks.
/// </summary>
internal sealed partial class SoakBalancer : IAsyncDisposable
{
    public const string PlainListener = "soak-plain";
    public const string TlsListener = "soak-tls";
    public const string PrivateListener = "soak-private";
    public const string StreamServerName = "stream.soak.example";

    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly HttpClient _admin;
    private readonly StreamWriter _log;
    private bool _logClosed;

    private SoakBalancer(Process process, HttpClient admin, StreamWriter log, string directory, string executable)
    {
        _process = process;
        _admin = admin;
        _log = log;
        Directory = directory;
        Executable = executable;
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Directory { get; }

    public string Executable { get; }

    public string LogPath => Path.Combine(Directory, "balancer.log");

    public IReadOnlyDictionary<string, IPEndPoint> Listeners { get; private set; } = new Dictionary<string, IPEndPoint>();

    /// <summary>The exit code after <see cref="StopAsync"/> (0 = a clean drain), or null if it had to be killed.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>
    /// The config: <c>web</c> behind a port listener (rr and churn, two HTTP backends); <c>stream</c>
    /// by SNI (long streams; the slow-loris hellos name it too); <c>private</c> behind a port listener,
    /// allowing only 10.99.0.0/16, so every loopback client is refused (ip_denied). Access log off:
    /// the log file would otherwise grow by a line per connection for the whole soak.
    /// </summary>
    public static string Config(int adminPort, string token, IPEndPoint webA, IPEndPoint webB, IPEndPoint stream, TimeSpan helloTimeout) =>
        string.Create(CultureInfo.InvariantCulture, $$"""
            [global]
            client_hello_timeout = "{{(int)helloTimeout.TotalMilliseconds}}ms"
            idle_timeout = "5m"
            drain_timeout = "2s"
            access_log = false

            [admin]
            listen = "127.0.0.1:{{adminPort}}"
            token = "{{token}}"

            [[listener]]
            name = "{{PlainListener}}"
            bind = "127.0.0.1:0"
            route = "port"
            tenant = "web"

            [[listener]]
            name = "{{TlsListener}}"
            bind = "127.0.0.1:0"
            route = "sni"

            [[listener]]
            name = "{{PrivateListener}}"
            bind = "127.0.0.1:0"
            route = "port"
            tenant = "private"

            [[tenant]]
            name = "web"
            [[tenant.backend]]
            address = "{{webA}}"
            [[tenant.backend]]
            address = "{{webB}}"

            [[tenant]]
            name = "stream"
            sni = ["{{StreamServerName}}"]
            [[tenant.backend]]
            address = "{{stream}}"

            [[tenant]]
            name = "private"
            allow = ["10.99.0.0/16"]
            [[tenant.backend]]
            address = "{{webA}}"
            """);

    public static async Task<SoakBalancer> StartAsync(string executable, IPEndPoint webA, IPEndPoint webB, IPEndPoint stream, TimeSpan helloTimeout, CancellationToken cancellationToken)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("l4b-soak-").FullName;
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var adminPort = FreePort();
        var configPath = Path.Combine(directory, "balancer.toml");
        await File.WriteAllTextAsync(configPath, Config(adminPort, token, webA, webB, stream, helloTimeout), cancellationToken).ConfigureAwait(false);

        var info = executable.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet") { ArgumentList = { executable } } : new ProcessStartInfo(executable);
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.WorkingDirectory = directory;

        // The generator sets this for itself; the balancer makes its own choice (README).
        info.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");

        var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var log = new StreamWriter(Path.Combine(directory, "balancer.log")) { AutoFlush = true };
        var balancer = new SoakBalancer(Process.Start(info)!, admin, log, directory, executable);
        try
        {
            await balancer.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return balancer;
        }
        catch
        {
            await balancer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The executable: <paramref name="given"/>, else the Release build of src/L4Balancer found by
    /// walking up from the working directory and from this program's own directory.
    /// </summary>
    public static string? Find(string? given)
    {
        if (given is not null)
        {
            return File.Exists(given) ? Path.GetFullPath(given) : null;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "src", "L4Balancer", "bin", "Release", "net10.0", "l4balancer");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary><c>connections_open</c> of /api/status (every open socket pair, admitted or not) and the rejections by reason.</summary>
    public async Task<(long ConnectionsOpen, IReadOnlyDictionary<string, long> Rejections)> StatusAsync(CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await _admin.GetStringAsync("api/status", cancellationToken).ConfigureAwait(false));
        var rejections = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in json.RootElement.GetProperty("rejections").EnumerateArray())
        {
            var key = $"{r.GetProperty("listener").GetString()}/{r.GetProperty("reason").GetString()}";
            rejections[key] = rejections.GetValueOrDefault(key) + r.GetProperty("count").GetInt64();
        }

        return (json.RootElement.GetProperty("connections_open").GetInt64(), rejections);
    }

    /// <summary>The sum of <c>l4lb_connections_active</c> over tenants, from /metrics.</summary>
    public async Task<long> ConnectionsActiveAsync(CancellationToken cancellationToken) =>
        SumMetric(await _admin.GetStringAsync("metrics", cancellationToken).ConfigureAwait(false), "l4lb_connections_active");

    /// <summary>Sums every sample of <paramref name="name"/> in a Prometheus text exposition.</summary>
    public static long SumMetric(string exposition, string name)
    {
        long sum = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                sum += (long)v;
            }
        }

        return sum;
    }

    /// <summary>Descriptors the process holds: the entries of /proc/PID/fd.</summary>
    public static int? CountDescriptors(int pid)
    {
        try
        {
            return System.IO.Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>SIGTERM (listeners close, connections drain for drain_timeout), then the exit code; SIGKILL after <paramref name="patience"/>.</summary>
    public async Task StopAsync(TimeSpan patience)
    {
        if (_process.HasExited)
        {
            ExitCode = _process.ExitCode;
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var wait = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            ExitCode = _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
        _admin.Dispose();
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"l4balancer exited with {_process.ExitCode} at start; see {LogPath}");
            }

            try
            {
                using var health = await _admin.GetAsync("healthz", deadline.Token).ConfigureAwait(false);
                if (health.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // one request timed out
            }

            await Task.Delay(100, deadline.Token).ConfigureAwait(false);
        }

        using var json = JsonDocument.Parse(await _admin.GetStringAsync("api/status", deadline.Token).ConfigureAwait(false));
        Listeners = json.RootElement.GetProperty("listeners").EnumerateArray().ToDictionary(
            l => l.GetProperty("name").GetString()!,
            l => IPEndPoint.Parse(l.GetProperty("bound_address").GetString()!),
            StringComparer.Ordinal);
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
