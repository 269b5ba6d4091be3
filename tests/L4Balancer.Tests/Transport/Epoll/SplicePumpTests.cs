using System.Net.Sockets;
using System.Security.Cryptography;
using L4Balancer.Core.Transport;
using L4Balancer.Core.Transport.Epoll;
using L4Balancer.TestSupport.Platform;

namespace L4Balancer.Tests.Transport.Epoll;

/// <summary>
/// The splice relay alone, between real loopback sockets: "app client" ⇄ [pump] ⇄ "app backend". The
/// pump gets duplicates of the middle sockets' descriptors (it closes what it is given).
/// </summary>
public sealed class SplicePumpTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly EpollLoop _loop = new("pump-test", TimeProvider.System);
    private readonly PipePool _pipes = new(size: 64 * 1024, maxPooled: 64, maxOpen: 1024);

    [LinuxFact]
    public async Task Parallel_transfers_of_random_sizes_arrive_whole_both_ways_with_half_close()
    {
        var random = new Random(42);
        var sizes = Enumerable.Range(0, 24).Select(_ => (Up: RandomSize(random), Down: RandomSize(random))).ToArray();
        await Task.WhenAll(sizes.Select(s => TransferAsync(s.Up, s.Down)));
        Assert.Equal(0, _pipes.Open - _pipes.Pooled); // every pipe back or closed
    }

    [LinuxFact]
    public async Task With_no_pipe_to_be_had_bulk_is_copied_and_arrives_whole()
    {
        using var noPipes = new PipePool(size: 64 * 1024, maxPooled: 0, maxOpen: 0);
        await using var rig = await Rig.StartAsync(this, pipes: noPipes);
        var up = RandomNumberGenerator.GetBytes(8 * 1024 * 1024);
        var sendUp = SendAndCloseAsync(rig.AppClient, up);
        var readUp = ReadToEndAsync(rig.AppBackend);
        var sendDown = SendAndCloseAsync(rig.AppBackend, []);
        var readDown = ReadToEndAsync(rig.AppClient);

        await Task.WhenAll(sendUp, sendDown, readUp, readDown).WaitAsync(Deadline);

        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await readUp));
        Assert.Equal(0, noPipes.Open);
    }

    [LinuxFact]
    public async Task The_client_prelude_reaches_the_backend_before_the_client_bytes()
    {
        await using var rig = await Rig.StartAsync(this, "HELLO-"u8.ToArray());
        await rig.AppClient.SendAsync("world"u8.ToArray());
        rig.AppClient.Shutdown(SocketShutdown.Send);

        var got = await ReadToEndAsync(rig.AppBackend);

        Assert.Equal("HELLO-world", System.Text.Encoding.ASCII.GetString(got));
    }

    [LinuxFact]
    public async Task A_backend_reset_is_reported_as_a_backend_failure_and_the_client_gets_a_reset()
    {
        await using var rig = await Rig.StartAsync(this);
        rig.AppBackend.LingerState = new LingerOption(true, 0);
        rig.AppBackend.Close();

        var side = await rig.Owner.Failed.Task.WaitAsync(Deadline);
        Assert.Equal(RelaySide.Backend, side);
        await rig.Pump.Completion.WaitAsync(Deadline);

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            var buffer = new byte[16];
            while (await rig.AppClient.ReceiveAsync(buffer) > 0)
            {
            }

            throw new SocketException((int)SocketError.Success); // a clean end where a reset belonged
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [LinuxFact]
    public async Task A_client_reset_is_reported_as_a_client_failure_and_the_backend_gets_a_reset()
    {
        await using var rig = await Rig.StartAsync(this);
        await rig.AppClient.SendAsync("partial request"u8.ToArray());
        rig.AppClient.LingerState = new LingerOption(true, 0);
        rig.AppClient.Close();

        var side = await rig.Owner.Failed.Task.WaitAsync(Deadline);
        Assert.Equal(RelaySide.Client, side);
        await rig.Pump.Completion.WaitAsync(Deadline);

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            var buffer = new byte[64];
            while (await rig.AppBackend.ReceiveAsync(buffer) > 0)
            {
            }

            throw new SocketException((int)SocketError.Success); // a clean end where a reset belonged
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [LinuxFact]
    public async Task A_backend_that_stops_reading_stops_the_pump_reading_and_nothing_is_lost_when_it_resumes()
    {
        await using var rig = await Rig.StartAsync(this);
        var payload = RandomNumberGenerator.GetBytes(16 * 1024 * 1024);
        var send = Task.Run(async () =>
        {
            await rig.AppClient.SendAsync(payload);
            rig.AppClient.Shutdown(SocketShutdown.Send);
        });

        // The backend reads nothing: the pump fills its pipe and the sockets' buffers, then stops.
        var plateau = await PlateauAsync(() => rig.Pump.BytesFromClient);
        Assert.True(plateau < payload.Length, $"the pump read {plateau} bytes of {payload.Length} with nobody reading");
        Assert.True(_pipes.Open <= 2, $"{_pipes.Open} pipes open for one connection");

        var received = await ReadToEndAsync(rig.AppBackend);
        await send.WaitAsync(Deadline);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received));
    }

    /// <summary>
    /// The connection's handler registers both sockets first and the pump adopts the registrations. A
    /// client that sent its request and its FIN before the relay started raised its only edge-triggered
    /// events while that handler owned the socket: the pump learns of them through Adopt and nothing
    /// else. (The first version hung here: its first read was short, taken as "socket empty", and no
    /// further event was ever to come for the FIN.)
    /// </summary>
    [LinuxFact]
    public async Task An_adopted_client_whose_request_and_FIN_came_before_the_relay_started_has_both_passed_on()
    {
        using var clientPair = await LoopbackPair.ConnectAsync();
        using var backendPair = await LoopbackPair.ConnectAsync();
        var clientFd = Rig.Duplicate(clientPair.Server);
        var backendFd = Rig.Duplicate(backendPair.Client);
        var earlierClient = new RecordingHandler();
        var earlierBackend = new RecordingHandler();
        var (clientToken, backendToken) = await OnLoopAsync(() =>
            (_loop.Register(clientFd, SplicePump.Interest, earlierClient), _loop.Register(backendFd, SplicePump.Interest, earlierBackend)));
        Assert.True(clientToken >= 0 && backendToken >= 0, "registration failed");

        var request = RandomNumberGenerator.GetBytes(3000); // one short read
        await clientPair.Client.SendAsync(request);
        clientPair.Client.Shutdown(SocketShutdown.Send);
        await UntilAsync(() => (earlierClient.Seen & (EpollEvents.In | EpollEvents.ReadHangup)) == (EpollEvents.In | EpollEvents.ReadHangup), "the earlier handler to see the request and the FIN");

        var pump = new SplicePump(_loop, _pipes, new RecordingOwner(), clientFd, backendFd);
        await OnLoopAsync(() =>
        {
            pump.Adopt(clientToken, earlierClient.Seen, backendToken, earlierBackend.Seen);
            pump.Start(default);
            return true;
        });

        var received = await ReadToEndAsync(backendPair.Server); // ends only if the FIN was passed on
        Assert.Equal(request, received);
        Assert.Equal(request.Length, pump.BytesFromClient);

        // The other way still works after the half-close, and the pump finishes.
        await backendPair.Server.SendAsync("response"u8.ToArray());
        backendPair.Server.Shutdown(SocketShutdown.Send);
        Assert.Equal("response", System.Text.Encoding.ASCII.GetString(await ReadToEndAsync(clientPair.Client)));
        await pump.Completion.WaitAsync(Deadline);
    }

    /// <summary>
    /// The other order: the request and the FIN are queued before the sockets are registered, and the
    /// pump adopts the registrations in the same loop turn, so the earlier handler saw nothing (events 0).
    /// Start reads optimistically, and the readiness the registration found reaches the pump's leg.
    /// </summary>
    [LinuxFact]
    public async Task An_adopted_client_whose_request_and_FIN_were_queued_unseen_has_both_passed_on()
    {
        using var clientPair = await LoopbackPair.ConnectAsync();
        using var backendPair = await LoopbackPair.ConnectAsync();
        var request = RandomNumberGenerator.GetBytes(3000);
        await clientPair.Client.SendAsync(request);
        clientPair.Client.Shutdown(SocketShutdown.Send);

        // Queued at the middle socket before anything is registered (FIONREAD counts it there).
        await UntilAsync(() => clientPair.Server.Available == request.Length, "the request to reach the middle socket");
        var clientFd = Rig.Duplicate(clientPair.Server);
        var backendFd = Rig.Duplicate(backendPair.Client);
        var earlierClient = new RecordingHandler();
        var earlierBackend = new RecordingHandler();
        var pump = new SplicePump(_loop, _pipes, new RecordingOwner(), clientFd, backendFd);
        await OnLoopAsync(() =>
        {
            var clientToken = _loop.Register(clientFd, SplicePump.Interest, earlierClient);
            var backendToken = _loop.Register(backendFd, SplicePump.Interest, earlierBackend);
            Assert.True(clientToken >= 0 && backendToken >= 0, "registration failed");
            pump.Adopt(clientToken, EpollEvents.None, backendToken, EpollEvents.None);
            pump.Start(default);
            return true;
        });

        var received = await ReadToEndAsync(backendPair.Server);
        Assert.Equal(request, received);
        Assert.Equal(EpollEvents.None, earlierClient.Seen); // the premise: the earlier handler saw nothing

        backendPair.Server.Shutdown(SocketShutdown.Send);
        Assert.Empty(await ReadToEndAsync(clientPair.Client));
        await pump.Completion.WaitAsync(Deadline);
    }

    private static int RandomSize(Random random) => random.Next(4) switch
    {
        0 => random.Next(1, 100),
        1 => random.Next(100, 70_000),
        _ => random.Next(70_000, 4 * 1024 * 1024),
    };

    private async Task TransferAsync(int upSize, int downSize)
    {
        await using var rig = await Rig.StartAsync(this);
        var up = RandomNumberGenerator.GetBytes(upSize);
        var down = RandomNumberGenerator.GetBytes(downSize);
        var sendUp = SendAndCloseAsync(rig.AppClient, up);
        var sendDown = SendAndCloseAsync(rig.AppBackend, down);
        var readUp = ReadToEndAsync(rig.AppBackend);
        var readDown = ReadToEndAsync(rig.AppClient);

        await Task.WhenAll(sendUp, sendDown, readUp, readDown).WaitAsync(Deadline);
        await rig.Pump.Completion.WaitAsync(Deadline);

        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await readUp));
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await readDown));
        Assert.Equal(upSize, rig.Pump.BytesFromClient);
        Assert.Equal(downSize, rig.Pump.BytesFromBackend);
    }

    private static async Task SendAndCloseAsync(Socket socket, byte[] data)
    {
        await socket.SendAsync(data);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }

    /// <summary>Runs <paramref name="work"/> on the loop's thread (registrations and the pump are loop-only).</summary>
    private async Task<T> OnLoopAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(_ =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }, null);
        return await done.Task.WaitAsync(Deadline);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            Assert.False(deadline.IsCancellationRequested, $"timed out waiting for {what}");
            await Task.Delay(5, CancellationToken.None);
        }
    }

    /// <summary>Polls <paramref name="read"/> until it stops growing for several turns of the loop.</summary>
    private async Task<long> PlateauAsync(Func<long> read)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        long last = -1;
        var still = 0;
        while (still < 20)
        {
            // A posted no-op: every event queued before it has been handled when it runs.
            var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _loop.Post(static s => ((TaskCompletionSource)s!).SetResult(), turn);
            await turn.Task.WaitAsync(deadline.Token);
            await Task.Yield();
            var now = read();
            still = now == last && now > 0 ? still + 1 : 0;
            last = now;
        }

        return last;
    }

    public void Dispose()
    {
        _loop.Dispose();
        _pipes.Dispose();
    }

    private sealed class RecordingOwner : IRelayOwner
    {
        public TaskCompletionSource<RelaySide> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnPeerFailed(RelaySide side) => Failed.TrySetResult(side);

        public void OnReceived(RelaySide side)
        {
        }

        public void OnActivity()
        {
        }
    }

    /// <summary>The handler a socket had before the pump adopted it: records what epoll reported.</summary>
    private sealed class RecordingHandler : IEpollHandler
    {
        private int _seen;

        public EpollEvents Seen => (EpollEvents)Volatile.Read(ref _seen);

        public void OnEvents(EpollEvents events) => Interlocked.Or(ref _seen, (int)events);
    }

    private sealed class Rig : IAsyncDisposable
    {
        private readonly LoopbackPair _clientPair;
        private readonly LoopbackPair _backendPair;
        private readonly EpollLoop _loop;

        private Rig(LoopbackPair clientPair, LoopbackPair backendPair, EpollLoop loop, SplicePump pump, RecordingOwner owner)
        {
            _clientPair = clientPair;
            _backendPair = backendPair;
            _loop = loop;
            Pump = pump;
            Owner = owner;
        }

        public Socket AppClient => _clientPair.Client;

        public Socket AppBackend => _backendPair.Server;

        public SplicePump Pump { get; }

        public RecordingOwner Owner { get; }

        public static async Task<Rig> StartAsync(SplicePumpTests test, byte[]? prelude = null, PipePool? pipes = null)
        {
            var clientPair = await LoopbackPair.ConnectAsync();
            var backendPair = await LoopbackPair.ConnectAsync();
            var clientFd = Duplicate(clientPair.Server);
            var backendFd = Duplicate(backendPair.Client);
            var owner = new RecordingOwner();
            var pump = new SplicePump(test._loop, pipes ?? test._pipes, owner, clientFd, backendFd);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            test._loop.Post(_ => { pump.Start(prelude ?? default(ReadOnlyMemory<byte>)); started.SetResult(); }, null);
            await started.Task.WaitAsync(Deadline);
            return new Rig(clientPair, backendPair, test._loop, pump, owner);
        }

        /// <summary>The pump's own descriptor (it closes it); the Socket's copy is closed here at once.</summary>
        public static int Duplicate(Socket socket)
        {
            socket.Blocking = false;
            var fd = LinuxNative.DupCloexec((int)socket.Handle);
            Assert.True(fd >= 0, $"dup failed: errno {LinuxNative.Errno}");
            socket.Dispose();
            return fd;
        }

        public async ValueTask DisposeAsync()
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _loop.Post(_ => { Pump.Close(reset: false); closed.SetResult(); }, null);
            await closed.Task.WaitAsync(Deadline);
            _clientPair.Dispose();
            _backendPair.Dispose();
        }
    }
}
