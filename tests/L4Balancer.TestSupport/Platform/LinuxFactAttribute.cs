namespace L4Balancer.TestSupport.Platform;

/// <summary>A fact about Linux system calls (epoll, splice, pipes): skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (epoll, splice)";
        }
    }
}
