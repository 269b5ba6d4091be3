using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>The real <c>l4balancer</c> executable (built next to the tests) run as a child process.</summary>
internal sealed class BalancerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly List<string> _lines = []; // stdout and stderr, in arrival order
    private readonly SemaphoreSlim _lineArrived = new(0);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2;

    private BalancerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Add(_output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
        process.Exited += (_, _) => _exited.TrySetResult();
        process.EnableRaisingEvents = true; // raises Exited at once if the process is already gone
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IEnumerable<string> Output => _output;

    public IEnumerable<string> Errors => _errors;

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "l4balancer.dll");

    public static BalancerProcess Start(params string[] args) => Start(null, args);

    public static BalancerProcess Start(IDictionary<string, string>? environment, params string[] args) =>
        StartUnder(null, [], environment, args);

    /// <summary>Runs <paramref name="executable"/> (a copy of the <c>l4balancer</c> apphost, say) itself, not <c>dotnet l4balancer.dll</c>.</summary>
    public static BalancerProcess StartExecutable(string executable, IDictionary<string, string>? environment, params string[] args) =>
        Launch(executable, args, environment);

    /// <summary>
    /// Runs the balancer through <paramref name="wrapper"/> (e.g. <c>prlimit --nofile=1000:1000 --</c>),
    /// which must exec the command so that <see cref="Id"/> is the balancer's own process id.
    /// </summary>
    public static BalancerProcess StartUnder(string? wrapper, IEnumerable<string> wrapperArgs, IDictionary<string, string>? environment, params string[] args) =>
        wrapper is null
            ? Launch("dotnet", [DllPath, .. args], environment)
            : Launch(wrapper, [.. wrapperArgs, "dotnet", DllPath, .. args], environment);

    private static BalancerProcess Launch(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        // What decides the log's shape comes from the test alone: a test runner started by systemd (its
        // JOURNAL_STREAM) or with a Logging__ variable set would otherwise change every line the tests read.
        foreach (var key in info.Environment.Keys.Where(k => k == "JOURNAL_STREAM" || k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new BalancerProcess(Process.Start(info)!);
    }

    /// <summary>Runs to completion: exit code, stdout, stderr.</summary>
    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] args) =>
        RunWithinAsync(TimeSpan.FromSeconds(60), args);

    /// <summary>Runs to completion within <paramref name="timeout"/> (the process is killed and the test fails after it).</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunWithinAsync(TimeSpan timeout, params string[] args)
    {
        await using var process = Start(args);
        try
        {
            var code = await process.WaitForExitAsync(Deadline.After(timeout));
            return (code, string.Join('\n', process.Output), string.Join('\n', process.Errors));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"l4balancer {string.Join(' ', args)} did not exit within {timeout.TotalSeconds} s");
        }
    }

    /// <summary>
    /// True once the process has exited and its stdout and stderr reached EOF. Not the same as
    /// <see cref="HasExited"/>: a process it started (a binary upgrade's successor) inherits both pipes
    /// and keeps writing to them after this one is gone.
    /// </summary>
    private bool OutputEnded => _process.HasExited && Volatile.Read(ref _openStreams) == 0;

    private void Add(ConcurrentQueue<string> queue, string? line)
    {
        if (line is null)
        {
            Interlocked.Decrement(ref _openStreams);
        }
        else
        {
            queue.Enqueue(line);
            lock (_lines)
            {
                _lines.Add(line);
            }
        }

        _lineArrived.Release();
    }

    /// <summary>The last lines printed, for a failure message (a run under load prints an access-log line per connection).</summary>
    public string Transcript(int lines = 400)
    {
        var all = LinesFrom(0);
        return string.Join('\n', all.Skip(Math.Max(0, all.Count - lines)));
    }

    private List<string> LinesFrom(int index)
    {
        lock (_lines)
        {
            return _lines.GetRange(index, _lines.Count - index);
        }
    }

    /// <summary>Waits for a stdout/stderr line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null) =>
        (await WaitForMatchesAsync(pattern, 1, timeout))[0];

    /// <summary>The lines printed so far that match <paramref name="pattern"/>, in the order they arrived.</summary>
    public IReadOnlyList<Match> Matches(string pattern)
    {
        var regex = new Regex(pattern);
        return LinesFrom(0).Select(l => regex.Match(l)).Where(m => m.Success).ToList();
    }

    /// <summary>
    /// Waits until <paramref name="count"/> lines match <paramref name="pattern"/> and returns the first
    /// <paramref name="count"/> matches. Lines keep arriving after the process exits while a process it
    /// started still writes to the inherited output.
    /// </summary>
    public async Task<IReadOnlyList<Match>> WaitForMatchesAsync(string pattern, int count, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var token = Deadline.After(timeout ?? TimeSpan.FromSeconds(60));
        var matches = new List<Match>();
        var scanned = 0;
        while (true)
        {
            var ended = OutputEnded; // read before the lines: the last lines are in by then
            foreach (var line in LinesFrom(scanned))
            {
                scanned++;
                if (regex.Match(line) is { Success: true } match)
                {
                    matches.Add(match);
                }
            }

            if (matches.Count >= count)
            {
                return matches.Take(count).ToList();
            }

            if (ended)
            {
                throw new InvalidOperationException($"l4balancer exited ({_process.ExitCode}) before printing /{pattern}/ {count} time(s):\n{Transcript()}");
            }

            try
            {
                await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not {count} line(s) matched /{pattern}/:\n{Transcript()}");
            }
        }
    }

    public void Signal(int signal) => Pids.Signal(_process.Id, signal);

    public const int SIGHUP = Pids.SIGHUP;
    public const int SIGUSR2 = Pids.SIGUSR2;
    public const int SIGTERM = Pids.SIGTERM;

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>
    /// The exit code, as soon as the process has exited, without waiting for EOF on its output (which
    /// <see cref="WaitForExitAsync"/> does): a successor started by a binary upgrade holds the inherited
    /// pipes open for as long as it runs.
    /// </summary>
    public async Task<int> ExitedAsync(CancellationToken cancellationToken)
    {
        await _exited.Task.WaitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);

            // Not WaitForExitAsync: an upgrade's successor that is no longer in the tree keeps the output open.
            await _exited.Task;
        }

        _process.Dispose();
    }
}
