using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Core.Net;
using L4Balancer.Core.ProxyProtocol;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using L4Balancer.Core.Tls;
using L4Balancer.Core.Transport;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Flow;

/// <summary>
/// One client connection from accept to close, as decisions: <see cref="RunAsync"/> is the whole
/// data path in SPEC's order: (on an <c>accept_proxy</c> listener, the PROXY header that names the
/// client) → global deny → global and per-IP limits → route (SNI peek) → tenant CIDRs
/// → tenant max_connections → tenant connection_rate → pick and connect → relay; <see cref="Finish"/>
/// accounts and writes the access log. How bytes move is the transport's: the flow sees the client
/// through <see cref="IClientConnection"/> and both legs through <see cref="IRelay"/>, so a second
/// transport reuses admission, SNI, limits, accounting and the log as they are.
/// Started by the engine on the accepting thread; everything up to its first wait is non-blocking.
/// </summary>
internal sealed class ConnectionFlow : IRelayOwner, IPendingHandshake
{
    /// <summary>An access-log field that is not known: "-" in text, a string in JSON where the known ones are numbers.</summary>
    private const string NotKnown = "-";

    private static readonly IReadOnlyCollection<BackendState> NoneTried = [];

    private readonly FlowContext _context;
    private readonly RuntimeSnapshot _snapshot;
    private readonly ListenerRoute _route;
    private readonly IClientConnection _client;
    private readonly long _startTimestamp;
    private readonly long _idleTimeoutTicks;
    private readonly Admission _admission;
    private int _reason;
    private long _lastActivity;
    private volatile bool _relaying;
    private volatile bool _bytesPublished;
    private ClientHelloBuffer? _hello;
    private IRelay? _relay;
    private byte[]? _proxyHeaderBuffer;
    private ProxyHeaderBuffer? _receivedProxyHeader;
    private IPEndPoint? _destination;
    private CancellationTokenSource? _relayCancellation;

    /// <summary>The backend's reads (first byte, longest silence), written by the relay's backend reads only.</summary>
    private StreamTiming _backendTiming;

    public ConnectionFlow(long id, FlowContext context, RuntimeSnapshot snapshot, ListenerRoute route, IClientConnection client)
    {
        Id = id;
        _context = context;
        _snapshot = snapshot;
        _route = route;
        _client = client;
        _startTimestamp = context.TimeProvider.GetTimestamp();
        _lastActivity = _startTimestamp;
        _idleTimeoutTicks = (long)(snapshot.Config.Global.IdleTimeout.TotalSeconds * context.TimeProvider.TimestampFrequency);
        ClientEndPoint = client.RemoteEndPoint;

        // Behind a trusted proxy the peer is the proxy: the client's address comes with its PROXY header
        // (ReceiveProxyHeaderAsync), and no per-IP limit counts the proxy's own address.
        _admission = new Admission(context.Limits, route.TrustedProxies is null ? ClientEndPoint?.Address : null);
    }

    public long Id { get; }

    /// <summary>
    /// The client: the peer of the socket, or on an <c>accept_proxy</c> listener the source of the PROXY
    /// header once it is in (before that, the proxy). Every stage from the global deny list on uses it.
    /// </summary>
    public IPEndPoint? ClientEndPoint { get; private set; }

    /// <summary>On an <c>accept_proxy</c> listener the peer that sent the PROXY header (the proxy); else null.</summary>
    public IPEndPoint? ProxyEndPoint { get; private set; }

    public string ListenerName => _route.Name;

    public TenantState? Tenant { get; private set; }

    public BackendState? Backend { get; private set; }

    public string? ServerName { get; private set; }

    public CloseReason Reason => (CloseReason)Volatile.Read(ref _reason);

    /// <summary>Bytes relayed so far, for live views; read without locks, so approximate while running.</summary>
    /// <remarks>
    /// The client bytes taken before the relay: the hello on an sni listener, else those that came with a
    /// received PROXY header (on an sni listener they are the hello's first bytes). The header itself is
    /// not counted: it is not sent on, as the one sent to backends is not counted either.
    /// </remarks>
    public long BytesClientToBackend =>
        (Volatile.Read(ref _hello)?.Count ?? Volatile.Read(ref _receivedProxyHeader)?.RestLength ?? 0)
        + (Volatile.Read(ref _relay)?.BytesFromClient ?? 0);

    public long BytesBackendToClient => Volatile.Read(ref _relay)?.BytesFromBackend ?? 0;

    /// <summary>
    /// Bytes moved so far by a session admitted to a tenant whose bytes are not yet in the tenant's
    /// totals (they are added once, at the end); for live byte counts in metrics and the dashboard.
    /// </summary>
    public bool TryGetLiveBytes(out string tenant, [NotNullWhen(true)] out BackendState? backend, out long clientToBackend, out long backendToClient)
    {
        if (Backend is { } b && Tenant is { } t && !_bytesPublished)
        {
            tenant = t.Name;
            backend = b;
            clientToBackend = BytesClientToBackend;
            backendToClient = BytesBackendToClient;
            return true;
        }

        tenant = "";
        backend = null;
        clientToBackend = backendToClient = 0;
        return false;
    }

    public async Task RunAsync()
    {
        // One state machine for the whole session (its steps are inline here, not a second async method):
        // it lives as long as the connection, so each box is idle memory per connection.
        _context.Registry.Add(this);
        try
        {
            var global = _snapshot.Config.Global;

            // 0. Behind a trusted proxy (accept_proxy), its PROXY header comes first and names the client
            //    every later stage sees: deny lists, limits, the log and the header sent on to backends.
            if (_route.TrustedProxies is { } trusted && !await ReceiveProxyHeaderAsync(trusted, global).ConfigureAwait(false))
            {
                return;
            }

            // 1. Admission, before a single byte of the client's is read (behind a proxy, only its header
            //    was): the global deny list, then the process-wide and
            //    per-IP concurrency limits (a connection still sending its ClientHello counts: it holds a socket).
            if (ClientEndPoint is { } client && !_snapshot.GlobalDeny.IsAllowed(client.Address))
            {
                Reject(CloseReason.IpDenied, null);
                return;
            }

            var refused = _admission.EnterProcess(global);
            if (refused != CloseReason.None)
            {
                Reject(refused, null);
                return;
            }

            // 2. Route. By SNI, the ClientHello is read into a buffer that grows with the bytes that came
            //    (replayed to the backend unchanged, before the relay); waiting for it takes a
            //    pending-handshake slot, bounded per source IP, and in total by evicting the least advanced
            //    of the oldest, so slow-loris hellos can neither pile up nor lock honest clients out.
            //    Either way the relay reads the client from here on, so what the client sends while we
            //    decide and connect is buffered (up to the pause threshold) and replayed.
            var tenant = _route.Tenant;
            var rejection = tenant is null ? CloseReason.NoBackend : CloseReason.None;
            if (_route.Config.Route == RouteMode.Sni)
            {
                if ((refused = _admission.EnterHandshake(global, this)) != CloseReason.None)
                {
                    Reject(refused, null);
                    return;
                }

                (tenant, rejection) = await RouteBySniAsync().ConfigureAwait(false);
                _admission.LeaveHandshake();
            }

            if (tenant is null)
            {
                Reject(rejection, null);
                return;
            }

            var relay = _client.StartRelay(this);
            Interlocked.Exchange(ref _relay, relay); // a full fence before Reason is read, as in Abort
            if (Reason != CloseReason.None)
            {
                relay.Abort(reset: false); // aborted before the relay was visible to Abort, which closed the client already
            }

            Tenant = tenant;

            // 3. The tenant's own allow/deny applies however the tenant was found, SNI included; then its
            //    max_connections and connection_rate.
            if (ClientEndPoint is { } source && !tenant.Access.IsAllowed(source.Address))
            {
                await RejectAsync(CloseReason.IpDenied, tenant, relay).ConfigureAwait(false);
                return;
            }

            refused = _admission.EnterTenant(tenant.Config, tenant.Limits, _context.TimeProvider);
            if (refused != CloseReason.None)
            {
                await RejectAsync(refused, tenant, relay).ConfigureAwait(false);
                return;
            }

            // 4. Pick a backend and connect, trying others on failure.
            var (backend, failure) = await ConnectAsync(tenant, relay).ConfigureAwait(false);
            if (backend is null)
            {
                await RejectAsync(Reason == CloseReason.None ? failure : Reason, tenant, relay).ConfigureAwait(false);
                return;
            }

            Backend = backend;
            tenant.Counters.Opened();
            backend.Counters.Connected(); // counted as the tenant's are: per tenant, the backends' totals sum to the tenant's

            // 5. Relay both ways until both directions are finished (or one side fails), each direction
            //    paced by the tenant's bandwidth limit if it has one.
            var (toBackend, toClient) = CreateThrottles(tenant);
            _relaying = true;
            Touch();
            // The client's bytes read before the relay go first: the hello (which holds any bytes that came
            // with a PROXY header), or on a port listener the bytes after such a header.
            var hello = _hello;
            var proxied = _receivedProxyHeader;
            var (prelude, preludeOwner) = hello is not null ? (hello.Bytes, (IDisposable?)hello) : (proxied?.Rest ?? default, proxied);
            await relay.RunAsync(prelude, preludeOwner, toBackend, toClient).ConfigureAwait(false);

            SetReason(CloseReason.Closed);
        }
        catch (Exception ex)
        {
            // A bug, not a network event (those come back as values): log it, and keep the process serving.
            FlowLog.SessionFaulted(_context.Logger, Id, ex);
            Abort(CloseReason.Closed, reset: true);
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>
    /// Throttles on the tenant's shared buckets, or none for an unlimited tenant (the common case pays
    /// nothing). Their waits end when the session is aborted.
    /// </summary>
    private (BandwidthThrottle? ToBackend, BandwidthThrottle? ToClient) CreateThrottles(TenantState tenant)
    {
        var bandwidth = tenant.Config.Bandwidth;
        if (bandwidth <= 0)
        {
            return (null, null);
        }

        var cancellation = SessionCancellation;
        var time = _context.TimeProvider;
        return (
            new BandwidthThrottle(tenant.Limits.ClientToBackend, bandwidth, time, cancellation),
            new BandwidthThrottle(tenant.Limits.BackendToClient, bandwidth, time, cancellation));
    }

    /// <summary>
    /// <c>accept_proxy</c>: a peer outside <c>trusted_proxies</c> is closed at once (HAProxy's
    /// <c>accept-proxy</c> does not guess whether a header is there either); a trusted one takes the
    /// process-wide slot (it holds a socket while its header comes; no per-IP slot, the proxy's own
    /// address is not a client) and must send a whole v1 or v2 header within <c>client_hello_timeout</c>
    /// of the accept. A header naming a TCP client makes its source the client and its destination the
    /// address sent on in our own PROXY header; LOCAL, UNKNOWN, AF_UNSPEC/AF_UNIX and UDP keep the
    /// connection's own addresses. Missing, malformed, truncated, oversized or late: <c>proxy_header</c>.
    /// Returns false when the connection was closed.
    /// </summary>
    private async Task<bool> ReceiveProxyHeaderAsync(AccessList trusted, GlobalConfig global)
    {
        var peer = ClientEndPoint;
        ProxyEndPoint = peer;
        if (peer is null || !trusted.IsAllowed(peer.Address))
        {
            RefuseProxyHeader(peer, "the peer is not in trusted_proxies");
            return false;
        }

        var refused = _admission.EnterProcess(global); // no source yet: the process-wide slot alone
        if (refused != CloseReason.None)
        {
            Reject(refused, null);
            return false;
        }

        var buffer = new ProxyHeaderBuffer();
        Volatile.Write(ref _receivedProxyHeader, buffer);
        ProxyHeaderParseResult result;
        try
        {
            result = await ReceiveProxyHeaderBytesAsync(buffer, global.ClientHelloTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not hello_timeout: the connection never said who its client is.
            result = ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, $"no whole header within client_hello_timeout ({buffer.Count} bytes came)");
        }
        catch (PeerFailedException)
        {
            ((IRelayOwner)this).OnPeerFailed(RelaySide.Client);
            result = ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, "the peer reset the connection");
        }
        catch (ObjectDisposedException)
        {
            result = ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, "closed while waiting"); // by an abort: its reason is set
        }

        if (Reason != CloseReason.None)
        {
            Reject(Reason, null); // aborted while waiting (client reset, drain): counted only if a rejection
            return false;
        }

        if (!result.IsComplete)
        {
            RefuseProxyHeader(peer, result.Message);
            return false;
        }

        if (result.Header!.NamesTcpClient)
        {
            ClientEndPoint = result.Header.Source;
            _destination = result.Header.Destination;
        }

        _admission.SetSource(ClientEndPoint?.Address);
        return true;
    }

    private async Task<ProxyHeaderParseResult> ReceiveProxyHeaderBytesAsync(ProxyHeaderBuffer buffer, TimeSpan limit)
    {
        while (true)
        {
            // As for the hello: wait without a buffer, then take what came, never more than the header needs.
            await _client.WaitForBytesAsync(Remaining()).ConfigureAwait(false);
            var received = await _client.ReceiveAsync(buffer.GetMemory(), Remaining()).ConfigureAwait(false);
            if (received == 0)
            {
                return ProxyHeaderParseResult.Fail(ProxyHeaderStatus.Incomplete, $"the connection ended after {buffer.Count} bytes, before a whole header");
            }

            var result = buffer.Advance(received);
            if (result.Status != ProxyHeaderStatus.Incomplete)
            {
                return result;
            }
        }

        // From the accept: a trusted proxy that connects and never sends is bounded like a slow hello.
        TimeSpan Remaining()
        {
            var left = limit - _context.TimeProvider.GetElapsedTime(_startTimestamp);
            return left > TimeSpan.Zero ? left : throw new TimeoutException();
        }
    }

    private void RefuseProxyHeader(IPEndPoint? peer, string why)
    {
        if (_context.ProxyHeaderFailures.ShouldLog(out var suppressed))
        {
            FlowLog.ProxyHeaderRefused(_context.Logger, _route.Name, peer?.ToString() ?? "-", why, suppressed);
        }

        Reject(CloseReason.ProxyHeader, null);
    }

    /// <summary>
    /// Reads the ClientHello (kept whole: the backend gets it byte for byte) and finds the tenant
    /// claiming its SNI, else the listener's fallback tenant. Each wait is a zero-byte receive, so a
    /// silent connection holds no buffer; each receive takes what the socket has queued, so the buffer
    /// grows only with bytes that arrived.
    /// </summary>
    private async Task<(TenantState? Tenant, CloseReason Rejection)> RouteBySniAsync()
    {
        var hello = new ClientHelloBuffer();
        Volatile.Write(ref _hello, hello);
        SniPeekStatus status;
        try
        {
            // One deadline for the whole hello, however many reads it takes; each wait gets what is left
            // of it and the transport keeps it (no timer object here). It runs from the accept, so behind
            // a proxy the header and the hello share it. Bytes that came with a PROXY header come first.
            var proxied = Volatile.Read(ref _receivedProxyHeader);
            status = (proxied is null ? null : hello.Append(proxied.Rest.Span))
                ?? await ReceiveHelloAsync(hello, _startTimestamp).ConfigureAwait(false);
            proxied?.Dispose(); // its bytes are the hello's now
        }
        catch (TimeoutException)
        {
            status = SniPeekStatus.Timeout;
        }
        catch (PeerFailedException)
        {
            ((IRelayOwner)this).OnPeerFailed(RelaySide.Client);
            status = SniPeekStatus.Canceled;
        }
        catch (ObjectDisposedException)
        {
            status = SniPeekStatus.Canceled; // closed by an abort: its reason is set
        }

        if (Reason != CloseReason.None)
        {
            return (null, Reason); // aborted while waiting (client reset, drain, eviction)
        }

        ServerName = hello.ServerName;
        return status switch
        {
            SniPeekStatus.Sni => WithFallback(_snapshot.Sni.Find(hello.ServerName)),
            SniPeekStatus.NoSni => WithFallback(null),
            SniPeekStatus.Timeout => (null, CloseReason.HelloTimeout),

            // Non-TLS bytes, a malformed or oversized hello, or EOF before a whole hello.
            _ => (null, CloseReason.NotTls),
        };

        (TenantState?, CloseReason) WithFallback(TenantState? claimed) =>
            (claimed ?? _route.Tenant) is { } tenant ? (tenant, CloseReason.None) : (null, CloseReason.UnknownSni);
    }

    private async Task<SniPeekStatus> ReceiveHelloAsync(ClientHelloBuffer hello, long started)
    {
        var limit = _snapshot.Config.Global.ClientHelloTimeout;
        while (true)
        {
            var ready = await _client.WaitForBytesAsync(Remaining()).ConfigureAwait(false);
            var received = await _client.ReceiveAsync(hello.GetMemory(ready), Remaining()).ConfigureAwait(false);
            if (received == 0)
            {
                return SniPeekStatus.Truncated;
            }

            if (hello.Advance(received) is { } decided)
            {
                return decided;
            }
        }

        TimeSpan Remaining()
        {
            var left = limit - _context.TimeProvider.GetElapsedTime(started);
            return left > TimeSpan.Zero ? left : throw new TimeoutException();
        }
    }

    long IPendingHandshake.HelloProgress => Volatile.Read(ref _hello)?.Count ?? 0;

    /// <summary>
    /// Made way for a newer connection while the pending-handshake bound was full: it ends as a hello
    /// that took too long (the oldest, least advanced hello is the one evicted).
    /// </summary>
    void IPendingHandshake.Evict() => Abort(CloseReason.HelloTimeout, reset: false);

    /// <summary>
    /// Rejects, then waits for the relay's client reads, which the abort ends even when they wait for
    /// a reader above the pause threshold (<see cref="IRelay.Abort"/>).
    /// </summary>
    private async Task RejectAsync(CloseReason reason, TenantState? tenant, IRelay relay)
    {
        Reject(reason, tenant);
        await relay.Stopped.ConfigureAwait(false);
    }

    /// <summary>Closes the client before any byte reached a backend, and counts why.</summary>
    private void Reject(CloseReason reason, TenantState? tenant)
    {
        SetReason(reason);

        // Only refusals are rejections (SPEC's l4lb_connections_rejected_total reasons). A client that
        // reset while we waited for its hello or a backend, or a drain, ends under that reason in the
        // access log but was not rejected. Counting the first-wins Reason keeps counter and log agreeing.
        if (Reason.IsRejection())
        {
            _context.Rejections.Count(_route.Name, tenant?.Name ?? "", tenant?.Counters, Reason);
        }

        Abort(reason, reset: false);
    }

    /// <summary>
    /// Picks and connects the relay's backend leg, trying other backends on failure. With PROXY protocol
    /// on, the header is written right after the connect, before any client byte (the relay replays
    /// those). A backend that fails the header write has not seen a byte of the client yet, so it is
    /// counted, logged and retried like a refused connect.
    /// </summary>
    private async Task<(BackendState? Backend, CloseReason Failure)> ConnectAsync(TenantState tenant, IRelay relay)
    {
        var retries = tenant.Config.Retries;
        var timeout = _snapshot.Config.Global.ConnectTimeout;
        List<BackendState>? tried = null;
        List<BackendState>? failed = null; // connects that failed: not waited for, not tried again
        var proxyHeader = tenant.Config.ProxyProtocol == ProxyProtocolMode.Off ? ReadOnlyMemory<byte>.Empty : WriteProxyHeader(tenant.Config.ProxyProtocol);

        // A backend that is full when we try to take its slot is not a failed attempt; bound the loop
        // by the backend count so a race on the last slot cannot spin.
        QueueWait? queue = null; // created by the first wait only: most connections never queue
        try
        {
            for (int attempt = 0, picks = 0; attempt <= retries && picks <= tenant.Backends.Count + retries; picks++)
            {
                if (Reason != CloseReason.None)
                {
                    return (null, Reason); // client went away while we were connecting
                }

                var backend = tenant.Policy.Pick(tenant.Backends, (IReadOnlyCollection<BackendState>?)tried ?? NoneTried, new PickContext(ClientEndPoint?.Address, ServerName));
                if (backend is null)
                {
                    // Every backend is down, tried or full. With queue_timeout, wait in the tenant's queue while
                    // one that has not failed us is up but full, then pick again among all but the failed ones.
                    queue ??= new QueueWait(tenant, _context.TimeProvider);
                    var waited = await queue.WaitForSlotAsync(failed, SessionCancellation).ConfigureAwait(false);
                    if (waited != CloseReason.None)
                    {
                        return (null, Reason != CloseReason.None ? Reason : waited);
                    }

                    tried = failed is null ? null : [.. failed];
                    picks = -1; // a wait is not a pick: the bound is per round
                    continue;
                }

                (tried ??= new List<BackendState>(2)).Add(backend);
                if (!backend.TryAcquire())
                {
                    continue;
                }

                attempt++;

                // The transport keeps the deadlines (on epoll a timer of the loop); an abort meanwhile closes
                // the attempt, which ends the wait.
                var connectStarted = _context.TimeProvider.GetTimestamp();
                var connect = await relay.ConnectAsync(backend.EndPoint, timeout).ConfigureAwait(false);
                if (connect.Status == BackendConnectStatus.NoSocket)
                {
                    // Out of descriptors or buffers: the process's limit, not the backend's fault, so no
                    // passive-health failure; the slot taken above goes back (it leaked here before,
                    // issue 11: backend_active stuck at 141 with nothing open).
                    ReleaseSlot(tenant, backend);
                    if (connect.OutOfDescriptors)
                    {
                        _context.OutOfDescriptors();
                    }

                    if (_context.BackendSocketFailures.ShouldLog(out var suppressed))
                    {
                        FlowLog.BackendSocketFailed(_context.Logger, tenant.Name, backend.Address, connect.Error, suppressed);
                    }

                    return (null, CloseReason.GlobalLimit);
                }

                var connectedAt = _context.TimeProvider.GetTimestamp();
                var connectTime = _context.TimeProvider.GetElapsedTime(connectStarted, connectedAt); // the TCP connect alone, not the PROXY header
                var headerError = connect.Status == BackendConnectStatus.Connected && !proxyHeader.IsEmpty
                    ? await relay.SendToBackendAsync(proxyHeader, TimeSpan.FromTicks(Math.Max((timeout - connectTime).Ticks, TimeSpan.TicksPerMillisecond))).ConfigureAwait(false)
                    : null;
                if (connect.Status == BackendConnectStatus.Connected && headerError is null)
                {
                    backend.RecordConnectSuccess();
                    _context.Metrics.RecordConnect(tenant.Name, connectTime);

                    // Time to first byte counts from the TCP connect, as the connect histogram ends there: a
                    // PROXY header, and the client's request, are on the way to the backend within it.
                    _backendTiming.Start(connectedAt);
                    return (backend, CloseReason.None);
                }

                // The relay closed the failed leg; the next attempt starts clean.
                ReleaseSlot(tenant, backend);
                (failed ??= new List<BackendState>(2)).Add(backend);
                if (Reason != CloseReason.None)
                {
                    return (null, Reason);
                }

                backend.RecordConnectFailure();
                if (headerError is not null)
                {
                    FlowLog.ProxyHeaderFailed(_context.Logger, tenant.Name, backend.Address, headerError);
                }
                else
                {
                    FlowLog.ConnectFailed(_context.Logger, tenant.Name, backend.Address, connect.Error);
                }
            }

            return (null, CloseReason.NoBackend);
        }
        finally
        {
            queue?.Leave();
        }
    }

    /// <summary>Gives a backend slot back and wakes the tenant's longest waiting connection, if any (<c>queue_timeout</c>).</summary>
    private static void ReleaseSlot(TenantState tenant, BackendState backend)
    {
        backend.Release();
        tenant.Limits.Queue.SlotFreed();
    }

    /// <summary>
    /// Cancelled when the session is aborted: ends waits that closing the sockets does not end (bandwidth
    /// tokens, a place in the backend queue). Created on first use only; most sessions never wait.
    /// </summary>
    private CancellationToken SessionCancellation
    {
        get
        {
            if (Volatile.Read(ref _relayCancellation) is { } existing)
            {
                return existing.Token;
            }

            var cancellation = new CancellationTokenSource();
            if (Interlocked.CompareExchange(ref _relayCancellation, cancellation, null) is { } raced)
            {
                cancellation.Dispose();
                return raced.Token;
            }

            if (Reason != CloseReason.None)
            {
                cancellation.Cancel(); // aborted before the field was visible to Abort
            }

            return cancellation.Token;
        }
    }

    /// <summary>
    /// The PROXY protocol header for this client, written once (it is the same for every backend tried)
    /// into a pooled buffer that <see cref="Finish"/> returns. Source: the client; destination: the
    /// address it connected to (behind a trusted proxy, both as its header said, as HAProxy forwards them).
    /// </summary>
    private ReadOnlyMemory<byte> WriteProxyHeader(ProxyProtocolMode mode)
    {
        var buffer = _proxyHeaderBuffer = ArrayPool<byte>.Shared.Rent(ProxyHeaderWriter.BufferSize);
        return buffer.AsMemory(0, ProxyHeaderWriter.Write(mode, ClientEndPoint, _destination ?? _client.GetLocalEndPoint(), buffer));
    }

    void IRelayOwner.OnPeerFailed(RelaySide side)
    {
        // A failure seen after the session ended for another reason (our own close completing a
        // pending receive) must not turn that graceful close into resets.
        if (Reason == CloseReason.None)
        {
            Abort(side == RelaySide.Client ? CloseReason.ClientReset : CloseReason.BackendReset, reset: true);
        }
    }

    void IRelayOwner.OnActivity() => Touch();

    /// <summary>
    /// One clock read per read, which the idle timeout took before this too; a backend read adds a compare
    /// and two stores, and its first one the first-byte observation (once per connection, recorded now so
    /// a minutes-long stream's first-byte time shows when it happens, not when the stream ends).
    /// </summary>
    void IRelayOwner.OnReceived(RelaySide side)
    {
        var now = _context.TimeProvider.GetTimestamp();
        Volatile.Write(ref _lastActivity, now);
        if (side == RelaySide.Backend && _backendTiming.OnRead(now) && Tenant is { } tenant && Backend is { } backend)
        {
            _context.Metrics.RecordFirstByte(tenant.Name, backend.Address, Seconds(_backendTiming.FirstByteTicks));
        }
    }

    private double Seconds(long ticks) => ticks / (double)_context.TimeProvider.TimestampFrequency;

    private void Touch() => Volatile.Write(ref _lastActivity, _context.TimeProvider.GetTimestamp());

    /// <summary>Called by the registry's idle scan.</summary>
    public void CheckIdle(long now)
    {
        if (_relaying && _idleTimeoutTicks > 0 && now - Volatile.Read(ref _lastActivity) >= _idleTimeoutTicks)
        {
            Abort(CloseReason.IdleTimeout, reset: false);
        }
    }

    /// <summary>
    /// Ends the session from outside the relay: closes the client (and, once the relay started, the
    /// backend leg), which ends every pending wait. With <paramref name="reset"/> the close is abortive
    /// (RST), so a reset on one side is passed on as a reset to the other.
    /// </summary>
    public void Abort(CloseReason reason, bool reset)
    {
        SetReason(reason);
        // The client first, always: a relay started in this instant is aborted by its starter, which
        // sees Reason set, and by then the client is closed the way this call decided.
        _client.Abort(reset);
        Volatile.Read(ref _relay)?.Abort(reset);

        // A send waiting for bandwidth tokens is not woken by the sockets closing. (Never disposed: it
        // has no timer or wait handle, and Abort may run on another thread at any time.)
        Volatile.Read(ref _relayCancellation)?.Cancel();
    }

    private void SetReason(CloseReason reason) => Interlocked.CompareExchange(ref _reason, (int)reason, (int)CloseReason.None);

    private static object Milliseconds(double seconds) => Math.Round(seconds * 1000, 3);

    private void Finish()
    {
        SetReason(CloseReason.Closed);
        _client.Dispose();
        _relay?.Dispose();
        _hello?.Dispose(); // a rejected hello, or one the relay never got to send
        _receivedProxyHeader?.Dispose();
        if (_proxyHeaderBuffer is { } header)
        {
            ArrayPool<byte>.Shared.Return(header);
        }

        try
        {
            _admission.ReleaseAll();
        }
        catch (InvalidOperationException ex)
        {
            // A slot released twice or never taken is a counting bug: log it, and still finish the session.
            FlowLog.SessionFaulted(_context.Logger, Id, ex);
        }

        try
        {
            var now = _context.TimeProvider.GetTimestamp();
            var elapsed = _context.TimeProvider.GetElapsedTime(_startTimestamp, now);
            double? maxGapSeconds = null;
            if (Backend is { } backend)
            {
                maxGapSeconds = Seconds(_backendTiming.MaxGapTicks(now));
                ReleaseSlot(Tenant!, backend);
                Tenant!.Counters.Finished();

                // Marked before adding: a live-bytes reader then never counts these bytes twice (see BalancerMetrics.TenantBytes).
                _bytesPublished = true;
                Tenant.Counters.AddBytes(BytesClientToBackend, BytesBackendToClient);
                backend.Counters.AddBytes(BytesClientToBackend, BytesBackendToClient);
                _context.Metrics.RecordSession(Tenant.Name, elapsed);
                _context.Metrics.RecordMaxGap(Tenant.Name, backend.Address, maxGapSeconds.Value);
            }

            if (_snapshot.Config.Global.AccessLog && _context.AccessLogger.IsEnabled(LogLevel.Information))
            {
                AccessLog.Connection(
                    _context.AccessLogger,
                    Id,
                    _route.Name,
                    Tenant?.Name ?? "-",
                    EndPointText.Format(ClientEndPoint),
                    EndPointText.Format(ProxyEndPoint),
                    ServerName ?? "-",
                    Backend?.Address ?? "-",
                    BytesClientToBackend,
                    BytesBackendToClient,
                    Math.Round(elapsed.TotalMilliseconds, 3),
                    Reason.ToWireName(),
                    Backend is not null && _backendTiming.HasFirstByte ? Milliseconds(Seconds(_backendTiming.FirstByteTicks)) : NotKnown,
                    maxGapSeconds is { } gap ? Milliseconds(gap) : NotKnown);
            }
        }
        catch (Exception ex)
        {
            // Accounting must not keep a session registered (a drain would wait on it for good).
            FlowLog.SessionFaulted(_context.Logger, Id, ex);
        }
        finally
        {
            // Last: a drain waits for the registry to empty, and by then every record must be written.
            _context.Registry.Remove(this);
        }
    }
}
