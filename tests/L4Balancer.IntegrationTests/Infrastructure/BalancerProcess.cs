using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>The real <c>l4balancer</c> executable (built next to the tests) run as a child process.</summary>
internal sealed partial class BalancerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    private BalancerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Add(_output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(_errors, e.Data);
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

    /// <summary>
    /// Runs the balancer through <paramref name="wrapper"/> (e.g. <c>prlimit --nofile=1000:1000 --</c>),
    /// which must exec the command so that <see cref="Id"/> is the balancer's own process id.
    /// </summary>
    public static BalancerProcess StartUnder(string? wrapper, IEnumerable<string> wrapperArgs, IDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(wrapper ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (wrapper is not null)
        {
            foreach (var arg in wrapperArgs)
            {
                info.ArgumentList.Add(arg);
            }

            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
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

    private void Add(ConcurrentQueue<string> queue, string? line)
    {
        if (line is not null)
        {
            queue.Enqueue(line);
            _lineArrived.Release();
        }
    }

    /// <summary>Waits for a stdout/stderr line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var token = Deadline.After(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            foreach (var line in _output.Concat(_errors))
            {
                var match = regex.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"l4balancer exited ({_process.ExitCode}) before printing /{pattern}/:\n{string.Join('\n', _output.Concat(_errors))}");
            }

            try
            {
                await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no line matched /{pattern}/:\n{string.Join('\n', _output.Concat(_errors))}");
            }
        }
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public const int SIGHUP = 1;
    public const int SIGTERM = 15;
    public const int SIGUSR2 = 12;

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
