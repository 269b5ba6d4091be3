using System.Runtime.InteropServices;

namespace L4Balancer.LoadTest.Reporting;

internal sealed record MachineInfo(int Cores, string Os, string Kernel, string Runtime)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        ReadKernel(),
        RuntimeInformation.FrameworkDescription);

    private static string ReadKernel()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return Environment.OSVersion.VersionString;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.OSVersion.VersionString;
        }
    }
}
