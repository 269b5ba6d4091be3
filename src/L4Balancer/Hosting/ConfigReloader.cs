using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using L4Balancer.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace L4Balancer.Hosting;

/// <summary>
/// The one reload path (SIGHUP and <c>POST /api/reload</c>): read and validate the config file, apply
/// it to the engine (which counts every outcome, those that never reach it through
/// <see cref="BalancerEngine.RejectReload"/>), and tell systemd <c>RELOADING=1</c> before and
/// <c>READY=1</c> after. Reloads run one at a time, so two SIGHUPs in a row (or a SIGHUP and an admin
/// call) never interleave. Without a config file (the demo) it answers <see cref="ReloadResult.Unavailable"/>.
/// </summary>
internal sealed class ConfigReloader(
    BalancerEngine engine,
    BalancerServiceOptions options,
    IReloadNotifier notifier,
    IOptions<HostOptions> hostOptions,
    LogLevelSource logLevels,
    ILogger<ConfigReloader> logger) : IConfigReloader, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<ReloadResult> ReloadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReloadCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug, not bad input: the engine changes nothing shared before its last fallible step,
            // so the running config is intact; report it like any failed reload.
            HostLog.ReloadFaulted(logger, ex);
            return engine.RejectReload([$"reload failed unexpectedly: {ex.Message}"]);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> with reloads held off (a binary upgrade: the listeners it hands over
    /// must be the ones serving when it commits).
    /// </summary>
    public async Task ExclusiveAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReloadResult> ReloadCoreAsync(CancellationToken cancellationToken)
    {
        if (options.ConfigPath is not { } path)
        {
            const string error = "no config file to reload (the demo runs on its embedded config)";
            HostLog.ReloadWithoutFile(logger);
            return engine.RejectReload([error], unavailable: true);
        }

        notifier.Reloading();
        try
        {
            // Reading the file and resolving backend host names block; keep them off the caller's thread.
            var loaded = await Task.Run(() => ConfigLoader.LoadFile(path), cancellationToken).ConfigureAwait(false);
            if (!loaded.IsValid)
            {
                var errors = loaded.Errors.Select(e => e.ToString()).ToList();
                foreach (var error in errors)
                {
                    HostLog.ReloadInvalid(logger, error);
                }

                return engine.RejectReload(errors);
            }

            foreach (var warning in loaded.Warnings)
            {
                HostLog.ReloadWarning(logger, warning.ToString());
            }

            var result = await engine.ReloadAsync(loaded.Config, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                return result;
            }

            // The host's stop timeout was sized from drain_timeout at start; a reload may change it,
            // and the host must not cut a longer drain short. HostOptions is read when stopping.
            hostOptions.Value.ShutdownTimeout = BalancerHost.ShutdownTimeoutFor(loaded.Config);
            logLevels.Apply(loaded.Config.Global.LogLevel);
            HostLog.Reloaded(logger, path, result.Generation);
            return result;
        }
        finally
        {
            notifier.Ready();
        }
    }

    public void Dispose() => _gate.Dispose();
}
