namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs systemd-socket-activate (Debian package <c>systemd</c>), systemd's own LISTEN_FDS launcher.</summary>
public sealed class SocketActivateFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("systemd-socket-activate");

    public SocketActivateFactAttribute()
    {
        if (Path is null)
        {
            Skip = "systemd-socket-activate not installed (Debian package \"systemd\")";
        }
    }
}
