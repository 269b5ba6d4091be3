using System.Runtime.InteropServices;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

/// <summary>
/// SIGHUP reloads the config file (SPEC "Signals") through <see cref="IConfigReloader"/>. The default
/// action of SIGHUP terminates the process; cancelling it keeps every connection of an operator's
/// <c>systemctl reload</c>. The reload runs off the signal thread, and never takes the process down.
/// </summary>
internal sealed class SighupHandler(IConfigReloader reloader, IHostApplicationLifetime lifetime, ILogger<SighupHandler> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // keep running
            _ = Task.Run(OnHangupAsync);
        });
        return Task.CompletedTask;
    }

    private async Task OnHangupAsync()
    {
        HostLog.SighupReceived(logger);
        try
        {
            // The outcome is logged and counted by the reloader.
            await reloader.ReloadAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: no reload then.
        }
        catch (Exception ex)
        {
            HostLog.ReloadFaulted(logger, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();
}
