using System.Runtime.InteropServices;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

/// <summary>
/// SIGHUP's default action terminates the process, so an operator's <c>systemctl reload</c> would
/// kill every connection. Until applying a new config lands (issue 6), SIGHUP validates the file and
/// says what it found; the running config is never touched.
/// </summary>
internal sealed class SighupHandler(BalancerServiceOptions options, ILogger<SighupHandler> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // keep running
            OnHangup();
        });
        return Task.CompletedTask;
    }

    private void OnHangup()
    {
        if (options.ConfigPath is null)
        {
            HostLog.ReloadWithoutFile(logger);
            return;
        }

        var result = ConfigLoader.LoadFile(options.ConfigPath);
        if (!result.IsValid)
        {
            foreach (var error in result.Errors)
            {
                HostLog.ReloadError(logger, error.ToString());
            }

            return;
        }

        HostLog.ReloadNotApplied(logger, options.ConfigPath);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();
}
