using System.IO.Pipelines;

namespace L4Balancer.Core.Tls;

/// <summary>
/// Waits on a connection's <see cref="PipeReader"/> until its first bytes decide the SNI question,
/// leaving every byte in the pipe so the backend later receives the ClientHello untouched.
/// </summary>
/// <remarks>
/// The Kestrel TlsListener pattern: while undecided, <c>AdvanceTo(buffer.Start, buffer.End)</c> marks
/// everything examined and nothing consumed, so the next <c>ReadAsync</c> waits for new bytes instead
/// of spinning; once decided, <c>AdvanceTo(buffer.Start)</c> hands the untouched buffer back.
/// The pipe's pause threshold must exceed <c>maxHelloBytes</c> (the default 64 KiB does: the writer
/// pauses only after that much is already readable), or a large hello stalls until the timeout.
/// </remarks>
internal static class SniPeeker
{
    /// <summary>Peeks the ClientHello; returns failures as statuses rather than exceptions.</summary>
    /// <param name="reader">The client side of the connection; nothing is consumed from it.</param>
    /// <param name="maxHelloBytes">Limit passed to <see cref="ClientHelloReader"/>.</param>
    /// <param name="timeout">
    /// Fires at <c>client_hello_timeout</c>; reported as <see cref="SniPeekStatus.Timeout"/>. A caller
    /// that also wants shutdown to stop the peek links its token in here (and tells the two apart by
    /// its own token) or calls <see cref="PipeReader.CancelPendingRead"/>, which gives
    /// <see cref="SniPeekStatus.Canceled"/>.
    /// </param>
    /// <exception cref="Exception">
    /// Whatever the pipe's writer completed it with (a connection reset, say): that is the
    /// transport failing, not a verdict on the hello, so it is left to the caller.
    /// </exception>
    public static async ValueTask<SniPeekResult> PeekAsync(PipeReader reader, int maxHelloBytes, CancellationToken timeout)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHelloBytes);

        var progress = default(ClientHelloProgress);
        var examined = 0L;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(timeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                // Nothing is consumed, but the last AdvanceTo marked every byte examined and a
                // cancelled read cannot be advanced again: the next ReadAsync waits for new bytes.
                // The caller closes the connection on a timeout anyway.
                return new SniPeekResult(SniPeekStatus.Timeout, null, examined);
            }

            var buffer = read.Buffer;
            var result = ClientHelloReader.TryRead(buffer, ref progress, out var serverName, maxHelloBytes);
            if (result == ClientHelloResult.NeedMoreData && !read.IsCompleted && !read.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                examined = buffer.Length;
                continue;
            }

            reader.AdvanceTo(buffer.Start);
            var status = result switch
            {
                ClientHelloResult.Sni => SniPeekStatus.Sni,
                ClientHelloResult.NoSni => SniPeekStatus.NoSni,
                ClientHelloResult.NotTls => SniPeekStatus.NotTls,
                ClientHelloResult.Malformed => SniPeekStatus.Malformed,
                ClientHelloResult.TooLarge => SniPeekStatus.TooLarge,
                _ when read.IsCanceled => SniPeekStatus.Canceled,
                _ => SniPeekStatus.Truncated,
            };
            return new SniPeekResult(status, serverName, buffer.Length);
        }
    }
}
