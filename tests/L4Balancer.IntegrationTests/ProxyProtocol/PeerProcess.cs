using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// A real server (nginx, HAProxy) run in the foreground as the current user, with everything it
/// writes (config, pid, logs) in its own temp directory, listening on 127.0.0.1 at a port we chose.
/// Nothing of a system-wide installation (its config, its service) is used. Killed on dispose.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private PeerProcess(string name, Process process, string directory, int port)
    {
        Name = name;
        _process = process;
        Directory = directory;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string Directory { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Starts the peer on a free port and returns once it accepts connections. <paramref name="prepare"/>
    /// writes the config for a port into the directory and returns the command line. A port taken
    /// between choosing and binding it (the peer then exits) is retried with another one.
    /// </summary>
    public static async Task<PeerProcess> StartAsync(string name, string executable, Func<string, int, IEnumerable<string>> prepare)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"l4b-{name}-").FullName;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var info = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            foreach (var arg in prepare(directory, port))
            {
                info.ArgumentList.Add(arg);
            }

            var peer = new PeerProcess(name, Process.Start(info)!, directory, port);
            try
            {
                await peer.WaitForListenAsync();
                return peer;
            }
            catch (PeerExitedException ex) when (attempt < 3 && ex.PortTaken)
            {
                await peer.StopAsync();
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>A port nothing listens on right now: bind port 0, note the port, close.</summary>
    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Polls a connect under the deadline until the peer accepts; fails at once if it exited.</summary>
    private async Task WaitForListenAsync()
    {
        var deadline = Deadline.After();
        while (true)
        {
            if (_process.HasExited)
            {
                var diagnostics = Diagnostics();
                throw new PeerExitedException(
                    $"{Name} exited ({_process.ExitCode}) before listening on {EndPoint}:\n{diagnostics}",
                    diagnostics.Contains("Address already in use", StringComparison.Ordinal) || diagnostics.Contains("cannot bind", StringComparison.Ordinal));
            }

            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(EndPoint, deadline);
                return;
            }
            catch (SocketException)
            {
                // not listening yet
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name} did not listen on {EndPoint} in time:\n{Diagnostics()}");
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Its output and every log file in its directory, for a failure message.</summary>
    public string Diagnostics() =>
        string.Join('\n', _output) + string.Concat(System.IO.Directory.EnumerateFiles(Directory, "*.log")
            .Select(f => $"\n--- {Path.GetFileName(f)}:\n{File.ReadAllText(f)}"));

    private void Add(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is not worth failing a test for
        }
    }

    private sealed class PeerExitedException(string message, bool portTaken) : Exception(message)
    {
        /// <summary>Someone bound the port between our choosing it and the peer binding it: worth another port.</summary>
        public bool PortTaken { get; } = portTaken;
    }
}
