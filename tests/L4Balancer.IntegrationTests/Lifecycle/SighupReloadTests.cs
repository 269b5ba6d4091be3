using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>SIGHUP on the real executable: the config file is read again and applied, or rejected as a whole.</summary>
public class SighupReloadTests
{
    private static async Task EchoesAsync(Socket client, string text)
    {
        await client.SendTextAsync(text + "\n", Deadline.After());
        Assert.Equal(text, await client.ReadLineAsync(Deadline.After()));
    }

    [Fact]
    public async Task Sighup_applies_a_changed_config_file_and_an_invalid_one_leaves_it_serving()
    {
        await using var backend = TestBackend.Echo();
        using var file = new ConfigFile().Write(ConfigFile.Toml([("main", "127.0.0.1:0")], [backend.Address]));
        await using var process = BalancerProcess.Start("run", "--config", file.Path);
        var main = IPEndPoint.Parse((await process.WaitForLineAsync(@"listener main accepting on (\S+)")).Groups[1].Value);
        using var client = await SocketExtensions.ConnectToAsync(main);
        await EchoesAsync(client, "before");

        file.Write(ConfigFile.Toml([("main", "127.0.0.1:0"), ("second", "127.0.0.1:0")], [backend.Address]));
        process.Signal(BalancerProcess.SIGHUP);
        var second = IPEndPoint.Parse((await process.WaitForLineAsync(@"listener second accepting on (\S+)")).Groups[1].Value);
        await process.WaitForLineAsync(@"reload: .* applied, config generation 2");
        using (var viaSecond = await SocketExtensions.ConnectToAsync(second))
        {
            await EchoesAsync(viaSecond, "through the added listener");
        }

        await EchoesAsync(client, "kept across the reload");

        file.Write(ConfigFile.Toml([("main", "127.0.0.1:0")], ["not an address"]));
        process.Signal(BalancerProcess.SIGHUP);
        await process.WaitForLineAsync(@"config invalid, keeping the running config: .*:\d+: ");
        using (var stillSecond = await SocketExtensions.ConnectToAsync(second))
        {
            await EchoesAsync(stillSecond, "the invalid file changed nothing");
        }

        await EchoesAsync(client, "still the same connection");
        Assert.DoesNotContain(process.Output.Concat(process.Errors), l => l.Contains("listener second stopped accepting") || l.Contains("generation 3"));

        process.Signal(BalancerProcess.SIGTERM);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }
}
