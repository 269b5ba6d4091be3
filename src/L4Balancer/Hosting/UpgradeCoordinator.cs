using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Runtime;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

/// <summary>
/// SIGUSR2 = binary upgrade (nginx's convention), the running process's side (docs/upgrade-design.md):
/// start the same executable again, hand it every listening socket and the admin socket over a Unix
/// socket (SCM_RIGHTS: the same kernel sockets, so no accept queue is ever closed), and once it says it
/// is accepting, stop accepting and drain as on SIGTERM. Anything short of that (invalid config, a crash,
/// not ready within <c>upgrade_timeout</c>) kills the new process and changes nothing here. One upgrade
/// at a time, with reloads held off while it runs.
/// </summary>
internal sealed class UpgradeCoordinator(
    BalancerEngine engine,
    ConfigReloader reloader,
    UpgradeState state,
    BalancerServiceOptions options,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    ILogger<UpgradeCoordinator> logger) : IHostedService, IDisposable
{
    /// <summary>How long a failed new process gets to exit after SIGKILL, or to report its exit code after closing the channel.</summary>
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    private PosixSignalRegistration? _registration;
    private int _running;
    private volatile int _childPid;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // SIGUSR2's default action terminates the process: take it over before any listener binds.
        _registration = PosixSignalRegistration.Create((PosixSignal)12 /* SIGUSR2 on Linux */, context =>
        {
            context.Cancel = true;
            _ = Task.Run(UpgradeAsync);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task UpgradeAsync()
    {
        UpgradeLog.Signalled(logger);
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
        {
            Refuse($"an upgrade to pid {_childPid} is in progress");
            return;
        }

        try
        {
            if (options.ConfigPath is null)
            {
                Refuse("the demo runs on its embedded config: there is no config file for a new process to read");
            }
            else if (state.HandedOverTo is not 0 and var pid)
            {
                Refuse($"this process already handed over to pid {pid}; signal that one");
            }
            else if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                Refuse("this process is shutting down");
            }
            else if (engine.CurrentOrNull is null || !engine.IsAccepting)
            {
                Refuse("this process is not serving yet");
            }
            else
            {
                await reloader.ExclusiveAsync(RunAsync, lifetime.ApplicationStopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Refuse("this process is shutting down");
        }
        catch (Exception ex)
        {
            // A bug, not the new process's fault: nothing here changed before the commit.
            UpgradeLog.Faulted(logger, ex);
            engine.RecordUpgrade(false);
        }
        finally
        {
            _childPid = 0;
            Volatile.Write(ref _running, 0);
        }
    }

    private void Refuse(string reason)
    {
        UpgradeLog.Refused(logger, reason);
        engine.RecordUpgrade(false);
    }

    private async Task RunAsync()
    {
        var timeout = engine.Current.Config.Global.UpgradeTimeout;
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, lifetime.ApplicationStopping);
        var channelName = $"@l4balancer-upgrade-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
        using var rendezvous = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        rendezvous.Bind(HandoverChannel.EndPointFor(channelName));
        rendezvous.Listen(8);

        var command = ProcessCommand.Current;
        Process child;
        try
        {
            child = StartChild(command, channelName);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            Fail($"cannot start {command.FileName}: {ex.Message}");
            return;
        }

        using (child)
        {
            _childPid = child.Id;
            UpgradeLog.Started(logger, child.Id, command.FileName);
            using var exited = new CancellationTokenSource();
            child.EnableRaisingEvents = true;
            child.Exited += (_, _) =>
            {
                try
                {
                    exited.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The upgrade is over (a successor that exits later is none of this process's business).
                }
            };
            if (child.HasExited)
            {
                await exited.CancelAsync().ConfigureAwait(false);
            }

            string? failure;
            HandoverChannel? committed = null;
            try
            {
                (failure, committed) = await ConverseAsync(child, rendezvous, abort.Token, exited.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                failure = child.HasExited ? $"the new process exited with code {child.ExitCode} before it was ready"
                    : lifetime.ApplicationStopping.IsCancellationRequested ? "this process is shutting down"
                    : $"the new process was not ready within {DurationParser.Format(timeout)}";
            }
            catch (EndOfStreamException)
            {
                failure = await ExitReasonAsync(child).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException or System.Text.Json.JsonException)
            {
                failure = $"handover with pid {child.Id} broke: {ex.Message}";
            }

            if (failure is not null)
            {
                await KillAsync(child).ConfigureAwait(false);
                Fail(failure);
                return;
            }

            // Committed: the new process is accepting on every socket. Stop accepting here (without
            // closing the kernel sockets it serves), then drain exactly as on SIGTERM.
            state.HandedOverTo = child.Id;
            engine.RecordUpgrade(true);
            if (services.GetService<IAdminHandover>() is { } admin)
            {
                await admin.HandOverAsync().ConfigureAwait(false);
            }

            await engine.HandOverAsync().ConfigureAwait(false);

            // Only now may the new process say READY=1: until this process stopped accepting, a
            // connection or an admin request (an undrain, say) could still land here, on the state
            // about to exit (seen in CI: an undrain sent right after READY=1 reached the old process).
            if (committed is not null)
            {
                using (committed)
                {
                    try
                    {
                        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        await committed.SendAsync(new HandoverMessage { Type = HandoverMessage.Stopped, Pid = Environment.ProcessId }, bound.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The new process stops waiting for this on its own (bounded); it serves either way.
                    }
                }
            }

            UpgradeLog.HandedOver(logger, child.Id, engine.Generation + 1, engine.Connections.Count);
            lifetime.StopApplication();
        }
    }

    /// <summary>
    /// The conversation; returns no failure and the open channel once the new process has been told to
    /// commit (the caller says <c>stopped</c> on it after this process stopped accepting), else why not.
    /// </summary>
    private async Task<(string? Failure, HandoverChannel? Committed)> ConverseAsync(Process child, Socket rendezvous, CancellationToken abort, CancellationToken exited)
    {
        HandoverChannel accepted;
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(abort, exited))
        {
            accepted = await AcceptChildAsync(rendezvous, child.Id, waiting.Token).ConfigureAwait(false);
        }

        var channel = accepted;
        var handedOn = false;
        try
        {
            var failure = await ConverseOnAsync(channel, child, abort).ConfigureAwait(false);
            handedOn = failure is null;
            return (failure, handedOn ? channel : null);
        }
        finally
        {
            if (!handedOn)
            {
                channel.Dispose();
            }
        }
    }

    private async Task<string?> ConverseOnAsync(HandoverChannel channel, Process child, CancellationToken abort)
    {
        var (hello, stray) = await channel.ReceiveAsync(abort).ConfigureAwait(false);
        HandoverChannel.CloseAll(stray);
        if (hello.Type == HandoverMessage.Error)
        {
            return $"the new process (pid {child.Id}) reported: {string.Join("; ", hello.Errors ?? [])}";
        }

        if (hello.Type != HandoverMessage.Hello)
        {
            return $"the new process said \"{hello.Type}\" instead of hello";
        }

        var sockets = new List<HandoverSocket>();
        var descriptors = new List<int>();
        foreach (var listener in engine.ListenersForHandover())
        {
            sockets.Add(new HandoverSocket(HandoverSocket.ListenerKind, listener.Name, listener.Config.Bind.ToString(), listener.LocalEndPoint.ToString()));
            descriptors.Add((int)listener.Socket.SafeHandle.DangerousGetHandle());
        }

        if (services.GetService<IAdminHandover>()?.ListenSocket is { } admin)
        {
            sockets.Add(new HandoverSocket(HandoverSocket.AdminKind, "admin", admin.Listen.ToString()!, admin.Socket.LocalEndPoint!.ToString()!));
            descriptors.Add((int)admin.Socket.SafeHandle.DangerousGetHandle());
        }

        var snapshot = new HandoverMessage
        {
            Type = HandoverMessage.State,
            Pid = Environment.ProcessId,
            Version = BuildInfo.Current.Version,
            Generation = engine.Generation,
            Drains = engine.DrainedBackends(),
            Weights = engine.WeightedBackends(),
            UpgradesOk = engine.Upgrades.Ok,
            UpgradesError = engine.Upgrades.Error,
            Sockets = sockets,
        };
        await channel.SendAsync(snapshot, descriptors, abort).ConfigureAwait(false);

        var (ready, more) = await channel.ReceiveAsync(abort).ConfigureAwait(false);
        HandoverChannel.CloseAll(more);
        if (ready.Type == HandoverMessage.Error)
        {
            return $"the new process (pid {child.Id}) could not start: {string.Join("; ", ready.Errors ?? [])}";
        }

        if (ready.Type != HandoverMessage.Ready)
        {
            return $"the new process said \"{ready.Type}\" instead of ready";
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Abort, Reason = "the old process is shutting down" }, abort).ConfigureAwait(false);
            return "this process is shutting down";
        }

        await channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Commit, Pid = Environment.ProcessId }, abort).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The name is abstract, hence reachable (and listed in /proc/net/unix) for any local process: only
    /// our child gets sockets; anyone else is hung up on and the wait goes on (SO_PEERCRED).
    /// </summary>
    private static async Task<HandoverChannel> AcceptChildAsync(Socket rendezvous, int childPid, CancellationToken cancellationToken)
    {
        while (true)
        {
            var candidate = new HandoverChannel(await rendezvous.AcceptAsync(cancellationToken).ConfigureAwait(false));
            if (candidate.PeerPid() == childPid)
            {
                return candidate;
            }

            candidate.Dispose();
        }
    }

    private static Process StartChild(ProcessCommand command, string channelName)
    {
        // stdout and stderr are inherited, not redirected: the new process logs to the same journal or
        // terminal, and keeps doing so after this process exits.
        var info = new ProcessStartInfo(command.FileName) { UseShellExecute = false };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment[UpgradeSuccessor.ChannelVariable] = channelName;
        info.Environment[UpgradeSuccessor.ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned no process");
    }

    /// <summary>The channel closed: the new process gave up or crashed; give it a moment to report its exit code.</summary>
    private static async Task<string> ExitReasonAsync(Process child)
    {
        using var wait = new CancellationTokenSource(ExitWait);
        try
        {
            await child.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            return $"the new process (pid {child.Id}) exited with code {child.ExitCode} before it was ready";
        }
        catch (OperationCanceledException)
        {
            return $"the new process (pid {child.Id}) closed the handover channel";
        }
    }

    private async Task KillAsync(Process child)
    {
        try
        {
            if (!child.HasExited)
            {
                child.Kill();
            }

            using var wait = new CancellationTokenSource(ExitWait);
            await child.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            // Gone already, or not reaped in time: either way it holds nothing we need.
        }
    }

    private void Fail(string reason)
    {
        engine.RecordUpgrade(false);
        UpgradeLog.Failed(logger, reason, Environment.ProcessId, engine.Generation);
    }

    public void Dispose() => _registration?.Dispose();
}
