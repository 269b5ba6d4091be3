using System.Net;
using System.Net.Sockets;
using System.Text;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// HAProxy's agent check (configuration manual, <c>agent-check</c>): connect to the backend's address on
/// the agent port, send <c>agent_send</c> if set, read one line ended by the first CR or LF, close. A line
/// that ends without CR or LF (the agent closed, or it went past <see cref="MaxLineBytes"/>) is refused, as
/// HAProxy ignores an "incomplete line from agent".
/// </summary>
internal sealed class AgentSource(FeedbackConfig settings) : IFeedbackSource
{
    /// <summary>HAProxy reads the answer into one check buffer; a kilobyte is ample for a handful of words and a reason.</summary>
    public const int MaxLineBytes = 1024;

    private readonly byte[]? _send = settings.AgentSend is { } send ? Encoding.ASCII.GetBytes(send) : null;

    public static IPEndPoint AgentEndPoint(BackendState backend, FeedbackConfig settings)
    {
        var port = backend.Config.AgentPort != 0 ? backend.Config.AgentPort : settings.AgentPort;
        return new IPEndPoint(backend.EndPoint.Address, port);
    }

    public async Task<FeedbackPoll> PollAsync(BackendState backend, CancellationToken cancellationToken)
    {
        var endPoint = AgentEndPoint(backend, settings);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var buffer = new byte[MaxLineBytes];
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            if (_send is not null)
            {
                await socket.SendAsync(_send, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    return FeedbackPoll.Failed($"agent {endPoint}: no end of line within {MaxLineBytes} bytes");
                }

                var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return FeedbackPoll.Failed(filled == 0
                        ? $"agent {endPoint} closed the connection without a line"
                        : $"agent {endPoint}: incomplete line (closed before CR or LF)");
                }

                var end = buffer.AsSpan(filled, read).IndexOfAny((byte)'\r', (byte)'\n');
                filled += read;
                if (end >= 0)
                {
                    var lineEnd = filled - read + end;
                    var line = buffer.AsSpan(0, lineEnd);
                    if (line.Contains((byte)0))
                    {
                        // HAProxy stops at a NUL as at the end of its buffer: an incomplete line.
                        return FeedbackPoll.Failed($"agent {endPoint}: NUL byte in the line");
                    }

                    // Latin-1 keeps every byte one char, so a stray non-ASCII byte becomes an unknown word, not a decoding error.
                    return FeedbackPoll.FromAgent(AgentReplyParser.Parse(Encoding.Latin1.GetString(line)));
                }
            }
        }
        catch (SocketException e)
        {
            return FeedbackPoll.Failed($"agent {endPoint}: {e.SocketErrorCode}");
        }
    }

    public void Dispose()
    {
    }
}
