using System.Diagnostics;
using Microsoft.Extensions.Hosting.Systemd;

namespace L4Balancer.Hosting;

/// <summary>
/// <see cref="IReloadNotifier"/> over <see cref="ISystemdNotifier"/> (our <see cref="SdNotifier"/>, enabled
/// whenever <c>NOTIFY_SOCKET</c> is set); without it (a terminal) this does nothing.
/// </summary>
internal sealed class SystemdReloadNotifier(ISystemdNotifier? notifier) : IReloadNotifier
{
    private static readonly ServiceState ReadyState = new("READY=1");

    public void Reloading()
    {
        if (notifier is { IsEnabled: true })
        {
            // sd_notify(3) asks for MONOTONIC_USEC with RELOADING=1 (Type=notify-reload requires it);
            // Stopwatch reads CLOCK_MONOTONIC on Linux, the clock systemd compares it with.
            var microseconds = (long)(Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000.0));
            notifier.Notify(new ServiceState($"RELOADING=1\nMONOTONIC_USEC={microseconds}"));
        }
    }

    public void Ready()
    {
        if (notifier is { IsEnabled: true })
        {
            notifier.Notify(ReadyState);
        }
    }
}
