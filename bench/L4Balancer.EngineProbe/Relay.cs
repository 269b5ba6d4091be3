namespace L4Balancer.EngineProbe;

/// <summary>
/// The session state machine both engines share. A direction alternates receive → send (all of it) →
/// receive; a receive of 0 (FIN) is passed on as shutdown(SHUT_WR) once every byte before it went out; the
/// session ends when both directions passed their FIN, or at the first error (then both sockets close).
/// The engines differ only in how they perform the step: epoll tries the call now and waits for readiness
/// on EAGAIN, io_uring submits it and acts on its completion.
/// </summary>
internal static unsafe class Relay
{
    public const int BufferSize = 16 * 1024;

    public static Step Next(in Leg leg)
    {
        if (leg.FinPassed)
        {
            return Step.Done;
        }

        if (leg.Offset < leg.Length)
        {
            return Step.Send;
        }

        return leg.SourceEof ? Step.PassFin : Step.Receive;
    }

    /// <summary>A receive returned <paramref name="n"/> ≥ 0 bytes into <paramref name="chunk"/>.</summary>
    public static void Received(ref Leg leg, byte* chunk, int n)
    {
        if (n == 0)
        {
            leg.SourceEof = true;
            return;
        }

        leg.Chunk = chunk;
        leg.Length = n;
        leg.Offset = 0;
    }

    /// <summary>A send took <paramref name="n"/> &gt; 0 bytes; true when the chunk is all gone.</summary>
    public static bool Sent(ref Leg leg, int n)
    {
        leg.Offset += n;
        if (leg.Offset < leg.Length)
        {
            return false;
        }

        leg.Offset = leg.Length = 0;
        leg.Chunk = null;
        return true;
    }

    /// <summary>
    /// Passes the source's FIN on: shutdown(sink, SHUT_WR), unless the other direction already passed its
    /// own, in which case the session is over and the close of both sockets that follows sends the FIN
    /// (both receive queues are empty: each source returned 0), one system call fewer per connection.
    /// A plain system call in both engines: io_uring's IORING_OP_SHUTDOWN cannot complete inline and goes
    /// to an io-wq worker thread, which looked the descriptor up after the IORING_OP_CLOSE queued behind it
    /// had closed it (EBADF, or worse, a newly accepted socket with the same number).
    /// </summary>
    public static void PassFin(ref Leg leg, in Leg other)
    {
        if (!other.FinPassed)
        {
            _ = Native.Shutdown(leg.Sink, Native.ShutWrite);
        }

        leg.FinPassed = true;
    }

    public static bool Finished(in Session session) => session.Up.FinPassed && session.Down.FinPassed;
}
