using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Transport.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>What the SNI peek holds while a hello is still arriving: nothing is consumed until it is whole.</summary>
public class SniPeekMemoryTests
{
    [Fact]
    public async Task Hello_trickled_one_byte_per_segment_is_buffered_in_memory_proportional_to_its_bytes()
    {
        var pool = new CountingMemoryPool();
        var relay = new RelayOptions { Pool = pool };
        var recorders = SniTenantSet.Tenants.ToDictionary(t => t.Name, _ => new RecordingBackend());
        await using var tenants = SniTenantSet.Start(name => recorders[name].Start());
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(), new FakeTimeProvider(), relay); // no hello timeout while we trickle
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));
        var hello = new ClientHelloBuilder { MessageSize = 4000 }.Build(); // llm.acme.example
        using var client = await balancer.ConnectAsync();
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 1, because: "the session to start");
        var session = balancer.Engine.Connections.Enumerate().Single();

        // One byte per send, each received by the balancer before the next is sent: 1000 receives.
        const int Trickled = 1000;
        for (var i = 0; i < Trickled; i++)
        {
            await client.SendAllAsync(hello.AsMemory(i, 1), deadline);
            while (session.BytesClientToBackend <= i)
            {
                deadline.ThrowIfCancellationRequested();
                await Task.Yield();
            }
        }

        // The relay's bound per direction is the pause threshold; 1000 bytes must not cost more.
        Assert.True(pool.Outstanding <= relay.PauseThreshold, $"{Trickled} bytes of hello hold {pool.Outstanding} bytes of buffers");

        await client.SendAllAsync(hello.AsMemory(Trickled), deadline);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(hello, await recorders["acme"].NextAsync(deadline));
    }
}
