using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Lifecycle;

public class ReloadTests
{
    private const string AnyPort = "127.0.0.1:0";

    private static async Task EchoesAsync(Socket client, string text)
    {
        await client.SendTextAsync(text + "\n", Deadline.After());
        Assert.Equal(text, await client.ReadLineAsync(Deadline.After()));
    }

    private static async Task<bool> RefusesAsync(IPEndPoint endPoint)
    {
        try
        {
            using var probe = await SocketExtensions.ConnectToAsync(endPoint);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task A_stream_keeps_every_byte_through_a_listener_added_an_unused_backend_removed_and_an_invalid_config()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        using var file = new ConfigFile().Write(ConfigFile.Toml([("main", AnyPort)], [a.Address, b.Address]));
        await using var balancer = await BalancerHarness.StartAsync(file.Load());
        var notifier = new RecordingNotifier();
        using var reloader = Reloading.Reloader(balancer.Engine, file, notifier);

        using var client = await balancer.ConnectAsync();
        var stream = CountingStream.Start(client);
        await stream.FlowsAsync();
        var (used, unused) = a.Active == 1 ? (a, b) : (b, a);
        Assert.Equal(1, used.Active);

        // 1. Add a listener.
        file.Write(ConfigFile.Toml([("main", AnyPort), ("extra", AnyPort)], [a.Address, b.Address]));
        var added = await reloader.ReloadAsync(Deadline.After());
        Assert.True(added.Succeeded, string.Join('\n', added.Errors));
        Assert.Equal(2, added.Generation);
        using (var viaExtra = await balancer.ConnectAsync("extra"))
        {
            await EchoesAsync(viaExtra, "through the new listener");
        }

        await stream.FlowsAsync();

        // 2. Remove the backend the stream does not use.
        file.Write(ConfigFile.Toml([("main", AnyPort), ("extra", AnyPort)], [used.Address]));
        var removed = await reloader.ReloadAsync(Deadline.After());
        Assert.True(removed.Succeeded, string.Join('\n', removed.Errors));
        Assert.Equal(3, removed.Generation);
        var unusedTotal = unused.Total;
        using (var after = await balancer.ConnectAsync())
        {
            await EchoesAsync(after, "new connections skip the removed backend");
        }

        Assert.Equal(unusedTotal, unused.Total);
        await stream.FlowsAsync();

        // 3. An invalid config: every error reported with its line, the running config untouched.
        file.Write(ConfigFile.Toml([("main", AnyPort)], [used.Address]) + "\n[global.oops]\n");
        var invalid = await reloader.ReloadAsync(Deadline.After());
        Assert.False(invalid.Succeeded);
        Assert.Equal(3, invalid.Generation);
        Assert.Contains(invalid.Errors, e => e.StartsWith(file.Path + ":", StringComparison.Ordinal));
        Assert.Equal(3, balancer.Engine.Generation);
        Assert.Contains("extra", balancer.Engine.ListenerEndPoints.Keys); // the invalid file dropped it; still serving
        using (var stillExtra = await balancer.ConnectAsync("extra"))
        {
            await EchoesAsync(stillExtra, "old config still serving");
        }

        await stream.FlowsAsync();
        var (sent, received) = await stream.FinishAsync();
        Assert.Equal(sent, received);
        Assert.True(sent > 3 * 64 * 1024);

        Assert.Equal(2, balancer.Engine.Reloads.Ok);
        Assert.Equal(1, balancer.Engine.Reloads.Error);
        Assert.Equal(["RELOADING", "READY", "RELOADING", "READY", "RELOADING", "READY"], notifier.States);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[global]\n")]
    [InlineData("# truncated by a botched deploy\n")]
    public async Task A_config_without_listeners_is_refused_and_the_old_listener_keeps_serving(string toml)
    {
        await using var backend = TestBackend.Echo();
        using var file = new ConfigFile().Write(ConfigFile.Toml([("main", AnyPort)], [backend.Address]));
        await using var balancer = await BalancerHarness.StartAsync(file.Load());
        using var reloader = Reloading.Reloader(balancer.Engine, file, new RecordingNotifier());
        using var open = await balancer.ConnectAsync();
        await EchoesAsync(open, "before");

        file.Write(toml);
        var result = await reloader.ReloadAsync(Deadline.After());

        Assert.False(result.Succeeded);
        Assert.Equal([$"{file.Path}: no [[listener]]: a balancer needs at least one listener"], result.Errors);
        Assert.Equal(1, balancer.Engine.Generation);
        Assert.Equal(1, balancer.Engine.Reloads.Error);
        Assert.Contains("main", balancer.Engine.ListenerEndPoints.Keys);
        using (var after = await balancer.ConnectAsync())
        {
            await EchoesAsync(after, "new connections still accepted");
        }

        await EchoesAsync(open, "the open connection untouched");
    }

    [Fact]
    public async Task A_removed_listener_refuses_at_once_and_its_connections_drain_until_drain_timeout()
    {
        var time = new FakeTimeProvider();
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { DrainTimeout = TimeSpan.FromSeconds(60) });
        config = config with { Listeners = [.. config.Listeners, config.Listeners[0] with { Name = "second" }] };
        await using var balancer = await BalancerHarness.StartAsync(config, time);
        var secondEndPoint = balancer.EndPoint("second");
        using var onSecond = await balancer.ConnectAsync("second");
        await EchoesAsync(onSecond, "before");

        var result = await balancer.Engine.ReloadAsync(config with { Listeners = [config.Listeners[0]] });

        Assert.True(result.Succeeded);
        Assert.True(await RefusesAsync(secondEndPoint));
        Assert.DoesNotContain("second", balancer.Engine.ListenerEndPoints.Keys);
        await EchoesAsync(onSecond, "draining, still relayed");
        using (var onMain = await balancer.ConnectAsync())
        {
            await EchoesAsync(onMain, "main unaffected");
        }

        time.Advance(TimeSpan.FromSeconds(59));
        await EchoesAsync(onSecond, "one second left");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SocketError.Success, await onSecond.WaitForCloseAsync(Deadline.After()));
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("listener=second") && l.Contains("end=drained")));
    }

    [Fact]
    public async Task A_bind_failure_keeps_the_running_config_whole()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var closed = TestConfigs.ClosedPort();
        var freePort = new IPEndPoint(closed.Address.MapToIPv4(), closed.Port);
        var v1 = TestConfigs.PortRouted([TestConfigs.Backend(a)]);
        await using var balancer = await BalancerHarness.StartAsync(v1);
        var main = v1.Listeners[0];
        var v2 = v1 with
        {
            Listeners = [main, main with { Name = "fresh", Bind = freePort }, main with { Name = "taken", Bind = (IPEndPoint)occupied.LocalEndPoint! }],
            Tenants = [v1.Tenants[0] with { Backends = [TestConfigs.Backend(b)] }],
        };

        var result = await balancer.Engine.ReloadAsync(v2);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.Generation);
        Assert.Contains("listener \"taken\": cannot bind", Assert.Single(result.Errors));
        Assert.Same(v1, balancer.Engine.Current.Config);
        Assert.Equal(["main"], balancer.Engine.ListenerEndPoints.Keys);
        Assert.True(await RefusesAsync(freePort)); // "fresh" had bound first; it was closed again
        Assert.DoesNotContain(balancer.Engine.State.AllBackends, s => s.Address == b.Address);
        using (var client = await balancer.ConnectAsync())
        {
            Assert.Equal("a", await client.ReadLineAsync(Deadline.After()));
        }

        occupied.Dispose();
        var retry = await balancer.Engine.ReloadAsync(v2);
        Assert.True(retry.Succeeded, string.Join('\n', retry.Errors));
        Assert.Equal(2, retry.Generation);
        using var viaTaken = await balancer.ConnectAsync("taken");
        Assert.Equal("b", await viaTaken.ReadLineAsync(Deadline.After()));
    }

    [Fact]
    public async Task Changed_backends_apply_to_new_connections_while_open_ones_keep_theirs_and_a_removed_backend_drains()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        var v1 = TestConfigs.PortRouted([TestConfigs.Backend(a)]);
        await using var balancer = await BalancerHarness.StartAsync(v1);
        using var onA = await balancer.ConnectAsync();
        Assert.Equal("a", await onA.ReadLineAsync(Deadline.After()));
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0];

        var v2 = v1 with { Tenants = [v1.Tenants[0] with { Backends = [TestConfigs.Backend(b)] }] };
        Assert.True((await balancer.Engine.ReloadAsync(v2)).Succeeded);

        using (var next = await balancer.ConnectAsync())
        {
            Assert.Equal("b", await next.ReadLineAsync(Deadline.After()));
        }

        await EchoesAsync(onA, "kept its backend");
        Assert.True(stateA.IsRemoved);
        Assert.Equal(1, stateA.ActiveConnections);
        Assert.Contains(stateA, balancer.Engine.State.AllBackends);
        Assert.Contains(balancer.Logs.Entries, e => e.Message.Contains($"backend {a.Address} removed from the config; its 1 open connections continue"));

        // Back before its last connection ended: the same state, counting the open stream.
        Assert.True((await balancer.Engine.ReloadAsync(v1)).Succeeded);
        var returned = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0];
        Assert.Same(stateA, returned);
        Assert.False(returned.IsRemoved);
        Assert.Equal(1, returned.ActiveConnections);
        Assert.Equal(3, balancer.Engine.Generation);
    }

    [Fact]
    public async Task Reloads_run_one_at_a_time()
    {
        await using var a = TestBackend.Echo();
        using var file = new ConfigFile().Write(ConfigFile.Toml([("main", AnyPort)], [a.Address]));
        await using var balancer = await BalancerHarness.StartAsync(file.Load());
        var notifier = new RecordingNotifier();
        using var reloader = Reloading.Reloader(balancer.Engine, file, notifier);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => reloader.ReloadAsync(Deadline.After()))));

        Assert.All(outcomes, o => Assert.True(o.Succeeded));
        Assert.Equal([2L, 3, 4, 5], outcomes.Select(o => o.Generation).Order());
        Assert.Equal(Enumerable.Repeat(new[] { "RELOADING", "READY" }, 4).SelectMany(x => x), notifier.States);
        Assert.Equal(4, balancer.Engine.Reloads.Ok);
    }

    [Fact]
    public async Task A_reload_that_lengthens_drain_timeout_lengthens_the_hosts_stop_timeout()
    {
        await using var a = TestBackend.Echo();
        using var file = new ConfigFile().Write(ConfigFile.Toml([("main", AnyPort)], [a.Address], drainTimeout: "30s"));
        await using var balancer = await BalancerHarness.StartAsync(file.Load());
        var hostOptions = new HostOptions { ShutdownTimeout = TimeSpan.FromSeconds(40) };
        using var reloader = Reloading.Reloader(balancer.Engine, file, new RecordingNotifier(), hostOptions);

        file.Write(ConfigFile.Toml([("main", AnyPort)], [a.Address], drainTimeout: "10m"));
        Assert.True((await reloader.ReloadAsync(Deadline.After())).Succeeded);

        Assert.Equal(TimeSpan.FromMinutes(10), balancer.Engine.Current.Config.Global.DrainTimeout);
        Assert.True(hostOptions.ShutdownTimeout > TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_reload_after_stop_is_refused()
    {
        await using var a = TestBackend.Echo();
        var config = TestConfigs.PortRouted(a);
        await using var balancer = await BalancerHarness.StartAsync(config);
        await balancer.Engine.StopAsync().WaitAsync(Deadline.After());

        var result = await balancer.Engine.ReloadAsync(config);

        Assert.False(result.Succeeded);
        Assert.Empty(balancer.Engine.ListenerEndPoints);
    }
}
