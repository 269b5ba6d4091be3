using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cli;

public class ProcessLifecycleTests
{
    private static async Task<string> WriteConfigAsync(string body)
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, body);
        return path;
    }

    private static string PortRoutedConfig(IPEndPoint backend, string bind = "127.0.0.1:0") => $"""
        [global]
        drain_timeout = "30s"

        [[listener]]
        name = "main"
        bind = "{bind}"
        route = "port"
        tenant = "t1"

        [[tenant]]
        name = "t1"

        [[tenant.backend]]
        address = "{backend}"
        """;

    [Fact]
    public async Task Sigterm_closes_the_listener_at_once_lets_the_connection_finish_and_exits_zero()
    {
        await using var backend = TestBackend.Echo();
        var path = await WriteConfigAsync(PortRoutedConfig(backend.EndPoint));
        await using var process = BalancerProcess.Start("run", "--config", path);
        var listening = await process.WaitForLineAsync(@"listener main accepting on (\S+)");
        var endPoint = IPEndPoint.Parse(listening.Groups[1].Value);

        using var client = await SocketExtensions.ConnectToAsync(endPoint);
        await client.SendTextAsync("before\n", Deadline.After());
        Assert.Equal("before", await client.ReadLineAsync(Deadline.After()));

        process.Signal(BalancerProcess.SIGTERM);
        await process.WaitForLineAsync("listener main stopped accepting");

        // New connections are refused now, while the open one still relays.
        await Assert.ThrowsAnyAsync<SocketException>(() => SocketExtensions.ConnectToAsync(endPoint));
        await client.SendTextAsync("during drain\n", Deadline.After());
        Assert.Equal("during drain", await client.ReadLineAsync(Deadline.After()));

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        Assert.Contains(process.Output, l => l.Contains("end=closed"));
        File.Delete(path);
    }

    [Fact]
    public async Task Sighup_never_kills_the_process_or_its_connections()
    {
        await using var backend = TestBackend.Echo();
        var path = await WriteConfigAsync(PortRoutedConfig(backend.EndPoint));
        await using var process = BalancerProcess.Start("run", "--config", path);
        var listening = await process.WaitForLineAsync(@"listener main accepting on (\S+)");
        using var client = await SocketExtensions.ConnectToAsync(IPEndPoint.Parse(listening.Groups[1].Value));

        await File.WriteAllTextAsync(path, "[global]\nbogus = 1\n");
        process.Signal(BalancerProcess.SIGHUP);
        await process.WaitForLineAsync("config invalid, keeping the running config: .*:2: .*bogus");

        await client.SendTextAsync("still here\n", Deadline.After());
        Assert.Equal("still here", await client.ReadLineAsync(Deadline.After()));
        File.Delete(path);
    }

    [Fact]
    public async Task Bind_failure_exits_one()
    {
        using var occupied = new Socket(SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var path = await WriteConfigAsync(PortRoutedConfig(new IPEndPoint(IPAddress.Loopback, 9), bind: occupied.LocalEndPoint!.ToString()!));

        var (code, _, errors) = await BalancerProcess.RunAsync("run", "--config", path);

        Assert.Equal(1, code);
        Assert.Contains("cannot bind", errors);
        File.Delete(path);
    }
}
