namespace L4Balancer.TestSupport.Files;

/// <summary>A fact that needs the mkfifo command (coreutils) to make a named pipe.</summary>
public sealed class MkfifoFactAttribute : FactAttribute
{
    public MkfifoFactAttribute()
    {
        if (Fifo.MkfifoPath is null)
        {
            Skip = "mkfifo not installed (Debian package \"coreutils\")";
        }
    }
}
