using L4Balancer.Core.Net;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Net;

/// <summary>An accept loop failing with EMFILE logs its first failure at once, then one line per interval with a count.</summary>
public class AcceptFailuresTests
{
    [Fact]
    public void Accept_failures_are_reported_at_once_then_once_per_interval_with_a_count()
    {
        var time = new FakeTimeProvider();
        var failures = new AcceptFailures(time);
        Assert.Equal(1, failures.Failed()); // the first one at once
        Assert.True(failures.Failing);
        for (var i = 0; i < 50; i++)
        {
            time.Advance(AcceptFailures.Pause);
            Assert.Equal(0, failures.Failed()); // 5 s of failures: quiet
        }

        time.Advance(AcceptFailures.LogInterval);
        Assert.Equal(51, failures.Failed()); // the 50 unreported ones and this one
        Assert.Equal(0, failures.Failed());

        Assert.Equal(53, failures.Recovered()); // the whole run of failures
        Assert.False(failures.Failing);
        Assert.Equal(1, failures.Failed()); // a new run is reported at once again
    }
}
