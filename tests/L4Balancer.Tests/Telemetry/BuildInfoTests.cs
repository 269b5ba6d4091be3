using System.Runtime.InteropServices;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Tests.Telemetry;

public class BuildInfoTests
{
    [Theory]
    [InlineData("0.1.0+bae0b0b006441c41fe28e1a8552d4e97e23bc7e5", "0.1.0", "bae0b0b006441c41fe28e1a8552d4e97e23bc7e5")]
    [InlineData("1.2.3-rc.1+abc", "1.2.3-rc.1", "abc")]
    [InlineData("0.1.0", "0.1.0", "unknown")] // built outside a git checkout: the SDK appends nothing
    [InlineData("0.1.0+", "0.1.0", "unknown")]
    [InlineData(null, "0.0.0", "unknown")]
    public void Splits_the_informational_version_into_version_and_commit(string? informational, string version, string commit)
    {
        var info = BuildInfo.From(informational);

        Assert.Equal(version, info.Version);
        Assert.Equal(commit, info.Commit);
        Assert.StartsWith(".NET ", info.Runtime);
    }

    [Fact]
    public void The_version_line_names_the_commit_and_the_runtime_with_the_version_second()
    {
        var line = BuildInfo.From("1.2.3+0123abcd").VersionLine;

        Assert.Equal($"l4balancer 1.2.3 (commit 0123abcd, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier})", line);
        Assert.Equal("1.2.3", line.Split(' ')[1]); // what bench/*.sh read with awk '{print $2}'
    }
}
