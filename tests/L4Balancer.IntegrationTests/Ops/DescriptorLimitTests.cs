using L4Balancer.Core.Limits;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// getrlimit/setrlimit through <see cref="DescriptorLimit"/>, on this test process: the soft limit is
/// lowered by one with prlimit and raised back to the hard limit by the code under test. (The runtime
/// raises it at start already, so the balancer's own start rarely exercises the raise.)
/// </summary>
public class DescriptorLimitTests
{
    [PrlimitFact]
    public async Task Reads_the_soft_limit_counts_open_descriptors_and_raises_the_soft_limit_to_the_hard_one()
    {
        var pid = Environment.ProcessId;
        var (_, hard) = ProcFs.OpenFilesLimit(pid);
        var lowered = hard - 1;
        var (code, output, errors) = await ExternalTool.RunAsync(PrlimitFactAttribute.Path!, ["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--nofile={lowered}:"]);
        Assert.True(code == 0, output + errors);
        try
        {
            Assert.Equal(lowered, DescriptorLimit.ReadSoft());
            Assert.InRange(DescriptorLimit.CountOpen() ?? 0, 3, lowered); // stdio at least

            Assert.Equal((lowered, hard), DescriptorLimit.RaiseSoftToHard());
            Assert.Equal(hard, ProcFs.OpenFilesLimit(pid).Soft);
            Assert.Equal((hard, hard), DescriptorLimit.RaiseSoftToHard()); // nothing left to raise
        }
        finally
        {
            await ExternalTool.RunAsync(PrlimitFactAttribute.Path!, ["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--nofile={hard}:"]);
        }
    }
}
