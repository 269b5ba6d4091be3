using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.Core.Tls;
using L4Balancer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Tls.Fuzz;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "fuzz";
}

/// <summary>
/// Socket-level fuzzing of a real <c>route = "sni"</c> listener (issue 11): mutated ClientHellos,
/// cut into random TCP writes, from several clients in parallel. The oracle is the ClientHello
/// reader itself plus the SNI router (the unit fuzz tests hold the reader to its own properties): each
/// input must end the way its verdict says (routed, the backend getting exactly the bytes sent; or
/// closed before any byte reached a backend, counted under the right reason), within a deadline; and
/// when every client is gone no session may stay open. Every 50th input is a valid hello that must
/// still reach the right tenant. Run alone with <c>dotnet test tests/L4Balancer.IntegrationTests
/// --filter Category=Fuzz</c>; knobs in <see cref="FuzzSettings"/>.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(FuzzCollection.Name)]
public class SniListenerFuzzTests(ITestOutputHelper output)
{
    private const int ProbeEvery = 50;
    private const int MaxHung = 3;
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan InputDeadline = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan SettleDeadline = TimeSpan.FromSeconds(10);

    private enum Ending
    {
        /// <summary>Send, FIN, read until the balancer (or the backend through it) closes.</summary>
        Fin,

        /// <summary>Send and wait: the balancer must close on its own (a verdict, or client_hello_timeout).</summary>
        Wait,

        /// <summary>Send and close the socket at once without reading (the outcome is not checked).</summary>
        Abrupt,
    }

    private sealed record Expectation(string? Tenant, CloseReason Rejection);

    private sealed class ClassStats
    {
        public int Inputs;
        public int Routed;
        public int Rejected;
        public int Hung;
        public int Wrong;
    }

    public static TheoryData<string> Sets => ["under 64 KiB", "over 64 KiB"];

    /// <summary>
    /// "under 64 KiB": every mutation class whose input stays below the relay's pause threshold.
    /// "over 64 KiB": a record header claiming 65 535 bytes, a handshake claiming 80 KiB and 100 KiB of
    /// non-TLS bytes, each sent in one write (a tenth as many inputs: each is 100 KiB).
    /// </summary>
    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Mutated_hellos_end_as_their_verdict_says_and_leave_no_session_open(string set)
    {
        var settings = FuzzSettings.FromEnvironment();
        var classes = (set == "over 64 KiB" ? HelloMutator.BigClasses : HelloMutator.SmallClasses)
            .Where(c => settings.Classes is null || settings.Classes.Contains(c)).ToArray();
        var inputs = set == "over 64 KiB" ? Math.Max(ProbeEvery, settings.Inputs / 10) : settings.Inputs;
        output.WriteLine($"fuzz {set}: seed {settings.Seed}, {inputs} inputs, {settings.Parallel} in parallel; repeat with {settings.Repeat}");

        await using var tenants = SniTenantSet.Start(TestBackend.Named);
        var balancer = await BalancerHarness.StartAsync(tenants.Config(global: g => g with { ClientHelloTimeout = HelloTimeout, DrainTimeout = TimeSpan.Zero }));
        var failures = new ConcurrentQueue<string>();
        var stats = new ConcurrentDictionary<string, ClassStats>(StringComparer.Ordinal);
        var byClient = new ConcurrentDictionary<string, FuzzInput>(StringComparer.Ordinal);
        var clientSaw = new ConcurrentDictionary<int, string>(); // how each connection ended, as the client saw it
        var expectedRejections = new ConcurrentDictionary<CloseReason, int>();
        var expectedRouted = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var abrupt = 0;
        var hung = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        var report = new StringBuilder();
        try
        {
            async Task Worker(int worker)
            {
                var source = IPAddress.Parse($"127.0.0.{2 + worker}"); // each worker is its own client address
                while (Volatile.Read(ref hung) < MaxHung)
                {
                    var index = Interlocked.Increment(ref next);
                    if (index >= inputs)
                    {
                        return;
                    }

                    var plan = HelloMutator.RandomFor(settings.Seed, ~index);
                    var input = classes.Length == 0 || index % ProbeEvery == ProbeEvery - 1
                        ? HelloMutator.Probe(settings.Seed, index)
                        : HelloMutator.Mutate(settings.Seed, index, classes[plan.Next(classes.Length)]);
                    var expected = Expect(balancer, input.Bytes, out var complete);
                    if (input.ProbeTenant is { } probeTenant && expected.Tenant != probeTenant)
                    {
                        failures.Enqueue($"probe {input.Index}: the reader and router say {Describe(expected)}, the probe was built for {probeTenant}");
                    }

                    var ending = ChooseEnding(input, expected, complete, plan);
                    var classStats = stats.GetOrAdd(input.Class, _ => new ClassStats());
                    Interlocked.Increment(ref classStats.Inputs);
                    if (ending == Ending.Abrupt)
                    {
                        Interlocked.Increment(ref abrupt);
                    }
                    else if (expected.Tenant is { } tenant)
                    {
                        expectedRouted.AddOrUpdate(tenant, 1, (_, n) => n + 1);
                    }
                    else
                    {
                        expectedRejections.AddOrUpdate(expected.Rejection, 1, (_, n) => n + 1);
                    }

                    var problem = await RunOneAsync(balancer, input, expected, ending, source, plan, byClient);
                    if (problem is null)
                    {
                        continue;
                    }

                    if (problem.StartsWith("hung", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref hung);
                        Interlocked.Increment(ref classStats.Hung);
                    }
                    else
                    {
                        Interlocked.Increment(ref classStats.Wrong);
                    }

                    failures.Enqueue($"input {input.Index} ({input.Class}, {input.Bytes.Length} B, ending {ending}, expected {Describe(expected)}): {problem}; first bytes {Convert.ToHexString(input.Bytes.AsSpan(0, Math.Min(24, input.Bytes.Length)))}");
                }
            }

            await Task.WhenAll(Enumerable.Range(0, settings.Parallel).Select(w => Task.Run(() => Worker(w))));
            var ran = Math.Min(Volatile.Read(ref next), inputs);
            output.WriteLine($"sent {ran} inputs in {clock.Elapsed.TotalSeconds:F1} s");

            // Nothing may stay open once every client is gone.
            var settled = true;
            try
            {
                await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, SettleDeadline, "every session closed");
            }
            catch (TimeoutException)
            {
                settled = false;
                var left = balancer.Engine.Connections.Enumerate().ToArray();
                var classesLeft = left
                    .GroupBy(s => byClient.TryGetValue(s.ClientEndPoint?.ToString() ?? "", out var i) ? i.Class : "unknown")
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => $"{g.Key} {g.Count()} of {stats.GetValueOrDefault(g.Key)?.Inputs ?? 0}");
                failures.Enqueue($"{left.Length} session(s) still open {SettleDeadline.TotalSeconds:F0} s after the last client closed; by class: {string.Join(", ", classesLeft)}");
                foreach (var session in left.Take(10))
                {
                    var client = session.ClientEndPoint?.ToString() ?? "?";
                    var input = byClient.TryGetValue(client, out var i) ? $"input {i.Index} ({i.Class}, {i.Bytes.Length} B)" : "unknown input";
                    var saw = i is not null && clientSaw.TryGetValue(i.Index, out var end) ? end : "?";
                    failures.Enqueue($"  open: {input}, client {client} (which saw: {saw}), reason {session.Reason}, {session.BytesClientToBackend} B received from the client, tenant {session.Tenant?.Name ?? "-"}");
                }
            }

            // Rejections are counted by reason: exactly the expected number, give or take the inputs
            // whose client closed at once (they may end as client_reset, or as their verdict).
            var actual = balancer.Engine.Rejections.Snapshot().GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => g.Sum(r => r.Count));
            var routed = tenants.Backends.ToDictionary(b => b.Key, b => b.Value.Total);
            if (settled && Volatile.Read(ref hung) == 0)
            {
                foreach (var reason in expectedRejections.Keys.Union(actual.Keys))
                {
                    var want = expectedRejections.GetValueOrDefault(reason);
                    var got = actual.GetValueOrDefault(reason);
                    if (got < want || got > want + abrupt)
                    {
                        failures.Enqueue($"rejections {reason.ToWireName()}: counted {got}, expected {want}{(abrupt > 0 ? $" to {want + abrupt}" : "")}");
                    }
                }

                foreach (var (tenant, got) in routed)
                {
                    var want = expectedRouted.GetValueOrDefault(tenant);
                    if (got < want || got > want + abrupt)
                    {
                        failures.Enqueue($"backend of {tenant}: {got} connections, expected {want}{(abrupt > 0 ? $" to {want + abrupt}" : "")}");
                    }
                }
            }

            report.AppendLine($"fuzz {set}: seed {settings.Seed}, {ran} of {inputs} inputs, {settings.Parallel} in parallel, {clock.Elapsed.TotalSeconds:F1} s");
            report.AppendLine($"repeat with: {settings.Repeat} dotnet test tests/L4Balancer.IntegrationTests --filter Category=Fuzz");
            report.AppendLine("class                  inputs  routed rejected   hung  wrong");
            foreach (var (name, s) in stats.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                report.AppendLine($"{name,-22} {s.Inputs,6} {s.Routed,7} {s.Rejected,8} {s.Hung,6} {s.Wrong,6}");
            }

            report.AppendLine($"rejections counted: {string.Join(", ", actual.OrderBy(a => a.Key).Select(a => $"{a.Key.ToWireName()} {a.Value}"))}; abrupt closes {abrupt}");
            report.AppendLine($"backends: {string.Join(", ", routed.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"))}; sessions open now {balancer.Engine.Connections.Count}");
            output.WriteLine(report.ToString());
        }
        finally
        {
            // A session stuck in the relay would hold the engine's stop forever: bound it.
            try
            {
                await balancer.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                failures.Enqueue("the engine did not stop within 10 s (a session never finished)");
            }
        }

        if (!failures.IsEmpty)
        {
            var shown = failures.Take(40).ToList();
            Assert.Fail($"{report}{failures.Count} problem(s):\n{string.Join('\n', shown)}");
        }

        return;

        // Local statistics per class, filled from the outcome of each input.
        void Count(FuzzInput input, Expectation expected)
        {
            var s = stats.GetOrAdd(input.Class, _ => new ClassStats());
            _ = expected.Tenant is null ? Interlocked.Increment(ref s.Rejected) : Interlocked.Increment(ref s.Routed);
        }

        async Task<string?> RunOneAsync(BalancerHarness balancer, FuzzInput input, Expectation expected, Ending ending, IPAddress source, Random plan, ConcurrentDictionary<string, FuzzInput> clients)
        {
            Count(input, expected);
            using var deadline = new CancellationTokenSource(InputDeadline);
            Socket socket;
            try
            {
                socket = await SocketExtensions.ConnectToAsync(balancer.EndPoint(), source, deadline.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return $"connect failed: {ex.Message}";
            }

            using (socket)
            {
                var client = socket.LocalEndPoint!.ToString()!;
                clients[client] = input;
                var receive = ReceiveAllAsync(socket, deadline.Token);
                var sendFailed = await SendInPiecesAsync(socket, input, plan, deadline.Token);
                switch (ending)
                {
                    case Ending.Abrupt:
                        clientSaw[input.Index] = "closed it at once";
                        return null;
                    case Ending.Fin:
                        try
                        {
                            socket.Shutdown(SocketShutdown.Send);
                        }
                        catch (SocketException)
                        {
                            // Already reset by the balancer (a rejection with unread bytes): fine.
                        }

                        break;
                }

                var (received, end) = await receive;
                clientSaw[input.Index] = end == "timeout" ? "no close" : $"{end} after {received.Length} B";
                if (end == "timeout")
                {
                    return $"hung: the connection did not end within {InputDeadline.TotalSeconds:F0} s ({received.Length} B received{(sendFailed ? ", send failed" : "")})";
                }

                if (expected.Tenant is { } tenant)
                {
                    var want = Encoding.ASCII.GetBytes(tenant + "\n").Concat(input.Bytes).ToArray();
                    if (end != "eof" || !received.AsSpan().SequenceEqual(want))
                    {
                        var greeting = Encoding.ASCII.GetString(received.AsSpan(0, Math.Max(0, Array.IndexOf(received, (byte)'\n'))));
                        return $"expected tenant {tenant} to echo the {input.Bytes.Length} B sent; got {received.Length} B (greeting \"{greeting}\"), ended by {end}";
                    }
                }
                else if (received.Length != 0)
                {
                    var greeting = Encoding.ASCII.GetString(received.AsSpan(0, Math.Max(0, Array.IndexOf(received, (byte)'\n'))));
                    return $"expected a rejection; got {received.Length} B from a backend (greeting \"{greeting}\")";
                }

                return null;
            }
        }
    }

    /// <summary>What the balancer must do with these bytes, from the reader's verdict on all of them.</summary>
    private static Expectation Expect(BalancerHarness balancer, byte[] bytes, out bool complete)
    {
        var progress = default(ClientHelloProgress);
        var result = ClientHelloReader.TryRead(new ReadOnlySequence<byte>(bytes), ref progress, out var serverName);
        complete = result != ClientHelloResult.NeedMoreData;
        return result switch
        {
            ClientHelloResult.Sni when balancer.Engine.Current.Sni.Find(serverName) is { } tenant => new Expectation(tenant.Name, CloseReason.None),
            ClientHelloResult.Sni or ClientHelloResult.NoSni => new Expectation(null, CloseReason.UnknownSni),
            _ => new Expectation(null, CloseReason.NotTls), // with FIN, an incomplete hello is not_tls
        };
    }

    private static Ending ChooseEnding(FuzzInput input, Expectation expected, bool complete, Random plan)
    {
        if (input.ProbeTenant is not null || expected.Tenant is not null)
        {
            return Ending.Fin; // the backend echoes until our FIN
        }

        var draw = plan.Next(1000);
        if (draw < 30)
        {
            return Ending.Abrupt;
        }

        if (complete && draw < 300)
        {
            return Ending.Wait; // a verdict is in the bytes: the balancer must close without our FIN
        }

        // An incomplete hello without FIN waits for client_hello_timeout: a few of those only.
        return !complete && draw < 40 ? Ending.Wait : Ending.Fin;
    }

    /// <summary>Whole, cut at random points, or the first bytes one per write; big inputs in one write.</summary>
    private static async Task<bool> SendInPiecesAsync(Socket socket, FuzzInput input, Random plan, CancellationToken cancellationToken)
    {
        var bytes = input.Bytes;
        var cuts = new SortedSet<int>();
        if (bytes.Length <= 64 * 1024)
        {
            switch (plan.Next(5))
            {
                case 0:
                case 1:
                    break;
                case 2:
                    for (var i = 1; i < Math.Min(bytes.Length, plan.Next(2, 24)); i++)
                    {
                        cuts.Add(i);
                    }

                    goto default;
                default:
                    for (var k = plan.Next(1, 9); k > 0 && bytes.Length > 1; k--)
                    {
                        cuts.Add(plan.Next(1, bytes.Length));
                    }

                    break;
            }
        }

        var offset = 0;
        try
        {
            foreach (var cut in cuts.Append(bytes.Length))
            {
                await socket.SendAllAsync(bytes.AsMemory(offset, cut - offset), cancellationToken);
                offset = cut;
                await Task.Yield();
            }

            return false;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return true; // a rejection may close (or reset) before everything is written
        }
    }

    private static async Task<(byte[] Received, string End)> ReceiveAllAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return (received.ToArray(), "eof");
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return (received.ToArray(), "timeout");
        }
        catch (SocketException ex)
        {
            return (received.ToArray(), ex.SocketErrorCode == SocketError.ConnectionReset ? "reset" : ex.SocketErrorCode.ToString());
        }
        catch (ObjectDisposedException)
        {
            return (received.ToArray(), "closed by the test");
        }
    }

    private static string Describe(Expectation e) => e.Tenant is { } t ? $"routed to {t}" : e.Rejection.ToWireName();
}
