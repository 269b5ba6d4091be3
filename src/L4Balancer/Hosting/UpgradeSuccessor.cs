using L4Balancer.Core.Handover;

namespace L4Balancer.Hosting;

/// <summary>
/// The new process's side of a binary upgrade (docs/upgrade-design.md): it was started by the running
/// process with <c>L4LB_UPGRADE</c> naming a Unix socket. It says <c>hello</c> once its config is valid
/// (or sends the config errors and exits), receives the listening sockets and the state to carry (config
/// generation, drains, upgrade counts), starts on them, says <c>ready</c>, and is serving for good only
/// once the running process answers <c>commit</c>.
/// </summary>
internal sealed class UpgradeSuccessor : IDisposable
{
    public const string ChannelVariable = "L4LB_UPGRADE";
    public const string ParentVariable = "L4LB_UPGRADE_PARENT";

    private readonly HandoverChannel _channel;

    private UpgradeSuccessor(HandoverChannel channel, int parentPid)
    {
        _channel = channel;
        ParentPid = parentPid;
    }

    /// <summary>The pid of the process being replaced.</summary>
    public int ParentPid { get; }

    /// <summary>What the running process handed over (after <see cref="ReceiveStateAsync"/>).</summary>
    public HandoverMessage? State { get; private set; }

    /// <summary>The handed-over sockets (after <see cref="ReceiveStateAsync"/>); unclaimed ones are closed when this is disposed.</summary>
    public AdoptedSockets? Adopted { get; private set; }

    /// <summary>
    /// The upgrade this process was started for, or null for a plain start. The variables are removed
    /// from the environment either way, so that this process's own upgrades never pass them on; they count
    /// only if the parent that set them is really this process's parent (they could leak into a shell).
    /// </summary>
    public static (string Channel, int Parent)? FromEnvironment()
    {
        var channel = Environment.GetEnvironmentVariable(ChannelVariable);
        var parent = Environment.GetEnvironmentVariable(ParentVariable);
        Environment.SetEnvironmentVariable(ChannelVariable, null);
        Environment.SetEnvironmentVariable(ParentVariable, null);
        if (string.IsNullOrEmpty(channel) || !int.TryParse(parent, out var pid) || !OperatingSystem.IsLinux() || HandoverNative.ParentPid() != pid)
        {
            return null;
        }

        return (channel, pid);
    }

    public static async Task<UpgradeSuccessor> ConnectAsync(string channel, int parentPid, CancellationToken cancellationToken) =>
        new(await HandoverChannel.ConnectAsync(channel, cancellationToken).ConfigureAwait(false), parentPid);

    /// <summary>Tells the running process why this one cannot take over (it logs the lines and keeps serving). Never throws.</summary>
    public async Task FailAsync(IEnumerable<string> errors, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Error, Pid = Environment.ProcessId, Errors = [.. errors] }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The running process went away or gave up on us: it has logged why.
        }
    }

    /// <summary>Says hello and receives the state and every socket.</summary>
    public async Task ReceiveStateAsync(string version, CancellationToken cancellationToken)
    {
        await _channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Hello, Pid = Environment.ProcessId, Version = version }, cancellationToken).ConfigureAwait(false);
        var (state, descriptors) = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (state.Type != HandoverMessage.State)
        {
            HandoverChannel.CloseAll(descriptors);
            throw new InvalidDataException($"expected the handover state, got \"{state.Type}\"");
        }

        var sockets = state.Sockets ?? [];
        while (descriptors.Count < sockets.Count)
        {
            var (more, next) = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            descriptors.AddRange(next);
            if (more.Type != HandoverMessage.Fds)
            {
                HandoverChannel.CloseAll(descriptors);
                throw new InvalidDataException($"expected more descriptors, got \"{more.Type}\"");
            }
        }

        Adopted = AdoptedSockets.FromDescriptors(sockets, descriptors);
        State = state;
    }

    /// <summary>Says ready (this process accepts on every socket now) and waits for the verdict: true for commit.</summary>
    public async Task<(bool Committed, string? Reason)> ReadyAsync(CancellationToken cancellationToken)
    {
        await _channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Ready, Pid = Environment.ProcessId }, cancellationToken).ConfigureAwait(false);
        var (verdict, descriptors) = await _channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        HandoverChannel.CloseAll(descriptors);
        if (verdict.Type != HandoverMessage.Commit)
        {
            return (false, verdict.Reason ?? verdict.Type);
        }

        await WaitUntilPredecessorStoppedAsync().ConfigureAwait(false);
        return (true, null);
    }

    /// <summary>
    /// After the commit the predecessor stops accepting, then says <c>stopped</c>; READY=1 waits for it
    /// (bounded), so nothing an operator sends after READY=1 can reach the process about to exit. A
    /// predecessor that closes the channel instead (an older version, or one that died) ends the wait too.
    /// </summary>
    private async Task WaitUntilPredecessorStoppedAsync()
    {
        try
        {
            using var bound = new CancellationTokenSource(StoppedWait);
            var (_, descriptors) = await _channel.ReceiveAsync(bound.Token).ConfigureAwait(false);
            HandoverChannel.CloseAll(descriptors);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidDataException or System.Text.Json.JsonException)
        {
            // Serving is what matters now; the wait only orders READY=1 after the predecessor's stop.
        }
    }

    /// <summary>How long READY=1 waits for the predecessor's <c>stopped</c>; its stop is a few milliseconds.</summary>
    private static readonly TimeSpan StoppedWait = TimeSpan.FromSeconds(10);

    public void Dispose()
    {
        Adopted?.Dispose();
        _channel.Dispose();
    }
}
