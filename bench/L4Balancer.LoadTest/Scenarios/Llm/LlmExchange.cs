using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios.Llm;

/// <summary>
/// One request of the llm scenario on its own connection: connect, send the head and the prompt,
/// read the streamed answer to its last chunk, close. A connection per request is what an L4
/// balancer sees from an LLM gateway's streams: it picks a backend per connection, so only then
/// does every request get its own pick.
/// </summary>
internal sealed class LlmExchange(IPEndPoint target, RunClock clock, TimeSpan connectTimeout, LlmTally tally)
{
    public async Task RunAsync(long intended, int promptBytes, int tokens)
    {
        var measured = clock.InWindow(intended);
        if (measured)
        {
            Interlocked.Increment(ref tally.Measured);
            Interlocked.Add(ref tally.PromptBytes, promptBytes);
            Interlocked.Add(ref tally.TokensAsked, tokens);
        }

        Interlocked.Increment(ref tally.Started);
        var inFlight = Interlocked.Increment(ref tally.InFlight);
        long peak;
        while (inFlight > (peak = Volatile.Read(ref tally.PeakInFlight)) && Interlocked.CompareExchange(ref tally.PeakInFlight, inFlight, peak) != peak)
        {
        }

        try
        {
            await ExchangeAsync(intended, measured, LlmWire.Request(promptBytes, tokens)).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref tally.InFlight);
        }
    }

    private async Task ExchangeAsync(long intended, bool measured, byte[] request)
    {
        var connectStart = Clock.Now;
        Socket socket;
        try
        {
            socket = await SocketIo.ConnectAsync(target, connectTimeout, clock.HardStop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Fail(e is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Connect, SocketIo.Describe(e), measured);
            return;
        }

        var connected = Clock.Now;
        var parser = new LlmResponseParser();
        var phase = ErrorKind.Send;
        long sent = 0;
        long firstByte = 0;
        using (socket)
        using (clock.HardStop.Register(static s => ((Socket)s!).Dispose(), socket))
        {
            try
            {
                sent = Clock.Now;
                await SocketIo.SendAllAsync(socket, request, clock.HardStop).ConfigureAwait(false);
                phase = ErrorKind.Receive;
                var buffer = new byte[4096];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, CancellationToken.None).ConfigureAwait(false);
                    var now = Clock.Now;
                    if (received == 0)
                    {
                        Fail(ErrorKind.Eof, $"closed after {parser.Tokens} of {Announced(parser)} tokens", measured);
                        return;
                    }

                    if (firstByte == 0)
                    {
                        firstByte = now;
                    }

                    if (!parser.Feed(buffer.AsSpan(0, received)))
                    {
                        Fail(parser.Status >= 400 ? ErrorKind.Status : ErrorKind.Protocol, parser.Error ?? "invalid response", measured);
                        return;
                    }

                    if (parser.IsDone)
                    {
                        Done(parser, intended, connectStart, connected, sent, firstByte, now, measured);
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (clock.HardStop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref tally.Unfinished);
                    tally.Errors.Add(ErrorKind.Timeout, $"not done by the hard deadline ({parser.Tokens} of {Announced(parser)} tokens)", measured);
                }
                else
                {
                    Fail(phase, $"{SocketIo.Describe(e)} after {parser.Tokens} of {Announced(parser)} tokens", measured);
                }
            }
        }
    }

    private void Done(LlmResponseParser parser, long intended, long connectStart, long connected, long sent, long firstByte, long done, bool measured)
    {
        Interlocked.Add(ref tally.Tokens, parser.Tokens);
        if (parser.AnnouncedTokens >= 0)
        {
            Interlocked.Add(ref tally.TokensExpected, parser.AnnouncedTokens);
        }

        if (parser.Tokens != parser.AnnouncedTokens || parser.Tokens == 0)
        {
            Fail(ErrorKind.Protocol, $"{parser.Tokens} tokens where the head announced {Announced(parser)}", measured);
            return;
        }

        Interlocked.Increment(ref tally.CompletedAll);
        var ttft = Clock.Microseconds(firstByte - intended);
        tally.Live.Record(ttft);
        if (!measured)
        {
            return;
        }

        Interlocked.Increment(ref tally.Completed);
        Histograms.Record(tally.Ttft, ttft);
        Histograms.Record(tally.Completion, Clock.Microseconds(done - intended));
        Histograms.Record(tally.Connect, Clock.Microseconds(connected - connectStart));
        Histograms.Record(tally.SendLag, Clock.Microseconds(sent - intended));
        if (parser.Tokens > 1)
        {
            Histograms.Record(tally.TimePerToken, Clock.Microseconds(done - firstByte) / (parser.Tokens - 1));
        }

        tally.ServedBy.AddOrUpdate(parser.ServedBy ?? "(not said)", 1, static (_, n) => n + 1);
    }

    private void Fail(ErrorKind kind, string detail, bool measured)
    {
        Interlocked.Increment(ref tally.Failed);
        tally.Errors.Add(kind, detail, measured);
    }

    private static string Announced(LlmResponseParser parser) => parser.AnnouncedTokens >= 0 ? parser.AnnouncedTokens.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
}
