using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> started by the test on 127.0.0.1 in a temp dir, without persistence, which the
/// test can kill (SIGKILL, as a crash) and start again on the same port.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string[] _extraArgs;
    private Process? _process;

    private RedisServer(int port, string directory, string[] extraArgs)
    {
        Port = port;
        _directory = directory;
        _extraArgs = extraArgs;
    }

    /// <summary>The <c>requirepass</c> it was started with, if any (PING and INFO then authenticate).</summary>
    public string? Password { get; private init; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        var directory = Directory.CreateTempSubdirectory("l4b-redis-").FullName;
        // A free port from the kernel; redis-server needs a number. Another process could take it in
        // between; StartAsync then fails loudly (redis-server exits) rather than talking to a stranger.
        var server = new RedisServer(TestConfigs.ClosedPort().Port, directory, password is null ? [] : ["--requirepass", password]) { Password = password };
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts redis-server (again) on <see cref="Port"/> and waits until it answers PING.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo(RedisFactAttribute.Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--protected-mode", "no" }.Concat(_extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Deadline.UntilAsync(async () => process.HasExited ? throw new InvalidOperationException($"redis-server exited ({process.ExitCode}) on port {Port}") : await PingAsync(), TimeSpan.FromSeconds(10), "redis-server answers PING");
    }

    /// <summary>SIGKILL: the server vanishes as in a crash (no persistence: it comes back empty).</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync(Deadline.After());
            process.Dispose();
        }
    }

    /// <summary>Sends one inline command and returns the raw reply (enough for PING, INFO, DBSIZE).</summary>
    public async Task<string> CommandAsync(string command)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), Deadline.After(TimeSpan.FromSeconds(2)));
        var auth = Password is null ? "" : $"AUTH {Password}\r\n";
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(auth + command + "\r\n"));
        var buffer = new byte[64 * 1024];
        var text = new System.Text.StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        do
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }
        while (!IsComplete(Strip(text.ToString())));

        return Strip(text.ToString());
    }

    /// <summary>total_commands_processed from INFO stats.</summary>
    public async Task<long> CommandsProcessedAsync()
    {
        var info = await CommandAsync("INFO stats");
        var line = info.Split("\r\n").First(l => l.StartsWith("total_commands_processed:", StringComparison.Ordinal));
        return long.Parse(line["total_commands_processed:".Length..]);
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            return (await CommandAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    // The +OK of the AUTH sent first is not part of the command's reply.
    private string Strip(string reply) => Password is not null && reply.StartsWith("+OK\r\n", StringComparison.Ordinal) ? reply[5..] : reply;

    // A simple-string/error/integer reply is one line; a bulk string says its length.
    private static bool IsComplete(string reply)
    {
        if (reply.Length == 0 || !reply.Contains("\r\n", StringComparison.Ordinal))
        {
            return false;
        }

        if (reply[0] != '$')
        {
            return true;
        }

        var header = reply[1..reply.IndexOf("\r\n", StringComparison.Ordinal)];
        var length = int.Parse(header);
        return length < 0 || reply.Length >= header.Length + 3 + length + 2;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
