namespace L4Balancer.Hosting;

/// <summary>
/// Tells the service manager a reload is under way (SPEC: <c>RELOADING=1</c> … <c>READY=1</c> around a
/// reload). One seam, so the systemd notifier can be swapped (a test's fake socket, another manager).
/// </summary>
internal interface IReloadNotifier
{
    void Reloading();

    void Ready();
}
