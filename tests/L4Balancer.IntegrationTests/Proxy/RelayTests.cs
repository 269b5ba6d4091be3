using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Proxy;

public class RelayTests
{
    [Fact]
    public async Task Sixty_four_MiB_each_way_at_once_arrive_intact()
    {
        await using var backend = TestBackend.Echo();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var deadline = Deadline.After(TimeSpan.FromSeconds(120));
        using var client = await balancer.ConnectAsync();

        var payload = RandomNumberGenerator.GetBytes(64 * 1024 * 1024);
        var expected = SHA256.HashData(payload);

        // Send and receive concurrently: the echo sends everything back, so 64 MiB flow both ways at once.
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 256 * 1024)
            {
                await client.SendAllAsync(payload.AsMemory(offset, Math.Min(256 * 1024, payload.Length - offset)), deadline);
            }

            client.Shutdown(SocketShutdown.Send);
        });
        var received = await client.ReadToEndAsync(deadline);
        await send;

        Assert.Equal(payload.Length, received.Length);
        Assert.Equal(expected, SHA256.HashData(received));
    }

    [Fact]
    public async Task Two_hundred_parallel_transfers_of_1_B_to_20_MiB_come_back_intact()
    {
        await using var backend = TestBackend.Echo();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var deadline = Deadline.After(TimeSpan.FromSeconds(180));

        // Log-uniform sizes: every order of magnitude from one byte to 20 MiB is represented (about 250 MB in all).
        var random = new Random(14);
        var sizes = Enumerable.Range(0, 200).Select(_ => (int)Math.Round(Math.Exp(random.NextDouble() * Math.Log(20 * 1024 * 1024)))).ToArray();

        await Task.WhenAll(sizes.Select(async size =>
        {
            var payload = RandomNumberGenerator.GetBytes(size);
            using var client = await balancer.ConnectAsync();
            var send = Task.Run(async () =>
            {
                await client.SendAllAsync(payload, deadline);
                client.Shutdown(SocketShutdown.Send);
            });
            var received = await client.ReadToEndAsync(deadline);
            await send;
            Assert.Equal(size, received.Length);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
        }));

        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, because: "every session to finish");
        Assert.Equal(200, balancer.AccessLog.Count(r => r.Contains("end=closed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Half_close_delivers_request_then_whole_answer_then_eof()
    {
        // A backend that answers only after it has read the whole request (EOF).
        await using var backend = TestBackend.Start(async socket =>
        {
            var request = await socket.ReadToEndAsync(Deadline.After());
            var answer = Encoding.ASCII.GetBytes($"got {request.Length} bytes: {Encoding.ASCII.GetString(request)}");
            await socket.SendAllAsync(answer, Deadline.After());
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var deadline = Deadline.After();
        using var client = await balancer.ConnectAsync();

        await client.SendTextAsync("the whole request", deadline);
        client.Shutdown(SocketShutdown.Send);
        var answer = Encoding.ASCII.GetString(await client.ReadToEndAsync(deadline));

        Assert.Equal("got 17 bytes: the whole request", answer);
    }

    [Fact]
    public async Task Backend_keeps_sending_after_client_half_closes()
    {
        // After the client's FIN the backend streams for a while: that direction must keep flowing.
        await using var backend = TestBackend.Start(async socket =>
        {
            await socket.ReadToEndAsync(Deadline.After());
            for (var i = 0; i < 50; i++)
            {
                await socket.SendTextAsync($"token {i}\n", Deadline.After());
                await Task.Yield();
            }

            socket.Shutdown(SocketShutdown.Send);
        });
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var deadline = Deadline.After();
        using var client = await balancer.ConnectAsync();

        client.Shutdown(SocketShutdown.Send);
        var text = Encoding.ASCII.GetString(await client.ReadToEndAsync(deadline));

        Assert.Equal(50, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.EndsWith("token 49\n", text);
    }

    [Fact]
    public async Task Client_reset_resets_the_backend()
    {
        var backendSaw = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = TestBackend.Start(async socket =>
        {
            await socket.SendTextAsync("hello\n", Deadline.After());
            backendSaw.TrySetResult(await socket.WaitForCloseAsync(Deadline.After()));
        });
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var client = await balancer.ConnectAsync();
        Assert.Equal("hello", await client.ReadLineAsync(Deadline.After()));

        client.Reset();

        Assert.Equal(SocketError.ConnectionReset, await backendSaw.Task.WaitAsync(Deadline.After()));
    }

    [Fact]
    public async Task Backend_reset_resets_the_client()
    {
        await using var backend = TestBackend.Start(async socket =>
        {
            await socket.SendTextAsync("hello\n", Deadline.After());
            await Handlers.HoldAsync(socket);
        });
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        using var client = await balancer.ConnectAsync();
        Assert.Equal("hello", await client.ReadLineAsync(Deadline.After()));

        backend.ResetAll();

        Assert.Equal(SocketError.ConnectionReset, await client.WaitForCloseAsync(Deadline.After()));
    }

    [Fact]
    public async Task Refused_backend_is_skipped_for_the_next_one()
    {
        await using var live = TestBackend.Named("live");
        var dead = TestConfigs.ClosedPort();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(dead), TestConfigs.Backend(live)]);
        await using var balancer = await BalancerHarness.StartAsync(config);

        // Whichever backend the picker starts with, every connection must end up on the live one.
        for (var i = 0; i < 4; i++)
        {
            using var client = await balancer.ConnectAsync();
            Assert.Equal("live", await client.ReadLineAsync(Deadline.After()));
        }

        var deadState = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(dead.ToString())!;
        Assert.True(deadState.ConnectFailures >= 1);
    }

    [Fact]
    public async Task Backend_written_as_ipv4_mapped_ipv6_is_reached()
    {
        await using var backend = TestBackend.Named("mapped");
        var mapped = new System.Net.IPEndPoint(backend.EndPoint.Address.MapToIPv6(), backend.EndPoint.Port);
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted([TestConfigs.Backend(mapped)]));
        using var client = await balancer.ConnectAsync();

        Assert.Equal("mapped", await client.ReadLineAsync(Deadline.After()));
    }

    [Fact]
    public async Task All_backends_down_closes_the_client_and_counts_no_backend()
    {
        var config = TestConfigs.PortRouted([TestConfigs.Backend(TestConfigs.ClosedPort()), TestConfigs.Backend(TestConfigs.ClosedPort())]);
        await using var balancer = await BalancerHarness.StartAsync(config);
        using var client = await balancer.ConnectAsync();

        var end = await client.WaitForCloseAsync(Deadline.After());

        Assert.Contains(end, new[] { SocketError.Success, SocketError.ConnectionReset });
        var counters = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Counters;
        await Deadline.UntilAsync(() => counters.Rejections(Core.Model.CloseReason.NoBackend) == 1);
        Assert.Equal(0, counters.Total);
    }
}
