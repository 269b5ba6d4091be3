using System.Globalization;
using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// The noisy-neighbour scenario. Tenant A (<c>--target</c>) gets <c>--flood-connections</c> workers
/// that connect, send the request, wait for the first answer byte (or a close, or --timeout) and
/// close, as fast as they can; and <c>--slowloris</c> connections that send the first 20 bytes of a
/// TLS ClientHello and stall (reopened when the target closes them). Meanwhile tenant B
/// (<c>--target-b</c>) runs rr at <c>--rate</c>: its p99 and errors say whether A's flood reached it.
/// </summary>
internal sealed class NeighboursRunner
{
    /// <summary>
    /// A TLS 1.2-style record header and the start of a ClientHello: record type 22 (handshake),
    /// version 3.1, length 512, handshake type 1 (ClientHello), length 508, client version 3.3, and
    /// 9 bytes of the random. Both lengths promise more, so a parser waits for the rest.
    /// </summary>
    private static readonly byte[] PartialClientHello =
    [
        0x16, 0x03, 0x01, 0x02, 0x00,
        0x01, 0x00, 0x01, 0xfc,
        0x03, 0x03,
        0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    ];

    private static readonly TimeSpan SlowlorisReopenPause = TimeSpan.FromMilliseconds(50);

    private readonly LoadTestOptions _options;
    private readonly IPEndPoint _targetA;
    private readonly RunClock _clock;
    private readonly RrRunner _tenantB;
    private readonly FloodCounters _a = new();
    private readonly byte[] _floodRequest;
    private long _lastAccepted;
    private long _lastAttempts;

    public NeighboursRunner(LoadTestOptions options, RunClock clock)
    {
        _options = options;
        _targetA = options.Target!;
        _clock = clock;
        _tenantB = new RrRunner(options, options.TargetB!, clock);
        _floodRequest = options.RequestGiven ? options.Request : RequestText.CloseGet;
    }

    public async Task<NeighboursResult> RunAsync()
    {
        var flood = Enumerable.Range(0, _options.FloodConnections).Select(_ => Task.Run(FloodLoopAsync));
        var slowloris = Enumerable.Range(0, _options.Slowloris).Select(_ => Task.Run(SlowlorisLoopAsync));
        var attackers = Task.WhenAll(flood.Concat(slowloris));
        var tenantB = await _tenantB.RunAsync().ConfigureAwait(false);
        await attackers.ConfigureAwait(false);
        var a = new FloodResult(
            _options.FloodConnections,
            Read(ref _a.Attempts),
            Read(ref _a.Accepted),
            Read(ref _a.Refused),
            Read(ref _a.ConnectTimeouts),
            Read(ref _a.ConnectErrors),
            Read(ref _a.Served),
            Read(ref _a.ClosedByPeer),
            Read(ref _a.Stalled),
            _options.Slowloris,
            Read(ref _a.SlowlorisOpened),
            Read(ref _a.SlowlorisClosedByPeer),
            Read(ref _a.SlowlorisOpenAtEnd));
        return new NeighboursResult(tenantB, a);
    }

    public string Progress(double intervalSeconds)
    {
        var accepted = Read(ref _a.LiveAccepted);
        var attempts = Read(ref _a.LiveAttempts);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"B {_tenantB.Progress(intervalSeconds)} | A tried {(attempts - _lastAttempts) / intervalSeconds:F0}/s accepted {(accepted - _lastAccepted) / intervalSeconds:F0}/s "
            + $"refused {Read(ref _a.Refused)} closed {Read(ref _a.ClosedByPeer)} | slowloris open {Read(ref _a.SlowlorisOpen)}");
        (_lastAccepted, _lastAttempts) = (accepted, attempts);
        return text;
    }

    private async Task FloodLoopAsync()
    {
        var buffer = new byte[4096];
        var stop = _clock.WindowEnd;
        while (!stop.IsCancellationRequested)
        {
            var counted = _clock.InWindow(Clock.Now);
            Interlocked.Increment(ref _a.LiveAttempts);
            Add(ref _a.Attempts, counted);
            Socket socket;
            try
            {
                socket = await SocketIo.ConnectAsync(_targetA, _options.Timeout, stop, _options.SourceA).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (!stop.IsCancellationRequested)
                {
                    Add(ref _a.ConnectTimeouts, counted);
                }

                continue;
            }
            catch (SocketException e)
            {
                Add(ref e.SocketErrorCode == SocketError.ConnectionRefused ? ref _a.Refused : ref _a.ConnectErrors, counted);
                if (e.SocketErrorCode != SocketError.ConnectionRefused)
                {
                    // Out of ports or buffers: do not spin on it.
                    await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                }

                continue;
            }

            Interlocked.Increment(ref _a.LiveAccepted);
            Add(ref _a.Accepted, counted);
            using (socket)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_clock.HardStop))
            {
                deadline.CancelAfter(_options.Timeout);
                try
                {
                    await SocketIo.SendAllAsync(socket, _floodRequest, deadline.Token).ConfigureAwait(false);
                    var received = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                    Add(ref received > 0 ? ref _a.Served : ref _a.ClosedByPeer, counted);
                }
                catch (OperationCanceledException)
                {
                    Add(ref _a.Stalled, counted);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    Add(ref _a.ClosedByPeer, counted);
                }
            }
        }
    }

    private async Task SlowlorisLoopAsync()
    {
        var buffer = new byte[512];
        var stop = _clock.WindowEnd;
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await SocketIo.ConnectAsync(_targetA, _options.Timeout, stop, _options.SourceA).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                await PauseAsync(stop).ConfigureAwait(false);
                continue;
            }

            using (socket)
            {
                var open = false;
                try
                {
                    await SocketIo.SendAllAsync(socket, PartialClientHello, stop).ConfigureAwait(false);
                    Interlocked.Increment(ref _a.SlowlorisOpened);
                    Interlocked.Increment(ref _a.SlowlorisOpen);
                    open = true;

                    // Anything from the target (an alert, a close, a reset) ends the stall.
                    while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false) > 0)
                    {
                    }

                    Interlocked.Increment(ref _a.SlowlorisClosedByPeer);
                }
                catch (OperationCanceledException)
                {
                    if (open)
                    {
                        Interlocked.Increment(ref _a.SlowlorisOpenAtEnd);
                    }
                }
                catch (SocketException)
                {
                    if (open)
                    {
                        Interlocked.Increment(ref _a.SlowlorisClosedByPeer);
                    }
                }
                finally
                {
                    if (open)
                    {
                        Interlocked.Decrement(ref _a.SlowlorisOpen);
                    }
                }
            }

            await PauseAsync(stop).ConfigureAwait(false);
        }
    }

    private static async Task PauseAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(SlowlorisReopenPause, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Add(ref long counter, bool counted)
    {
        if (counted)
        {
            Interlocked.Increment(ref counter);
        }
    }

    private static long Read(ref long counter) => Volatile.Read(ref counter);
}
