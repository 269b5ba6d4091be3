using L4Balancer.LoadTest.Reporting;

namespace L4Balancer.LoadTest.SelfTest;

/// <summary>The sanity checks selftest applies to each result; prints PASS/FAIL lines and the closing count.</summary>
internal sealed class SelfTestChecks(TextWriter output)
{
    private int _passed;
    private int _failed;

    public void Rr(string name, RrResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.Requests > 0, "no requests completed");
        Require(problems, r.AchievedRate > 0, "achieved rate is 0");
        if (expectedRate > 0)
        {
            Require(problems, r.AchievedRate >= expectedRate * 0.95, $"achieved {r.AchievedRate}/s of {expectedRate}/s");
            Require(problems, r.Behind <= r.Requests / 100, $"{r.Behind} requests behind schedule");
        }

        Latencies(problems, r.Latency);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Churn(string name, ChurnResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.Connections > 0, "no connections completed");
        if (expectedRate > 0)
        {
            Require(problems, r.ConnectionsPerSecond >= expectedRate * 0.95, $"achieved {r.ConnectionsPerSecond}/s of {expectedRate}/s");
        }

        Latencies(problems, r.Connect);
        Latencies(problems, r.Request);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Bulk(string name, BulkResult r)
    {
        var problems = new List<string>();
        Require(problems, r.SentGbps > 0, "nothing sent");
        Require(problems, r.Mode != "echo" || r.ReceivedGbps > 0, "nothing echoed");
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Idle(string name, IdleResult r, int expected)
    {
        var problems = new List<string>();
        Require(problems, r.Opened == expected, $"opened {r.Opened} of {expected}");
        Require(problems, r.AliveAtEnd == expected, $"{r.AliveAtEnd} of {expected} answered after the hold");
        Require(problems, r.RssAfterBytes > 0 && r.BytesPerConnection is not null, "no RSS measured");
        Latencies(problems, r.FirstRequest);
        NoErrors(problems, r.Errors);
        Report(name, problems);
    }

    public void Neighbours(string name, NeighboursResult r, double expectedRate)
    {
        var problems = new List<string>();
        Require(problems, r.TenantB.Requests > 0 && r.TenantB.AchievedRate >= expectedRate * 0.95, $"B achieved {r.TenantB.AchievedRate}/s of {expectedRate}/s");
        Latencies(problems, r.TenantB.Latency);
        NoErrors(problems, r.TenantB.Errors);
        Require(problems, r.TenantA.Accepted > 0 && r.TenantA.Served > 0, "the flood reached nothing on A");
        Require(problems, r.TenantA.SlowlorisOpened >= r.TenantA.Slowloris, $"{r.TenantA.SlowlorisOpened} of {r.TenantA.Slowloris} slowloris connections opened");
        Report(name, problems);
    }

    public int Finish()
    {
        output.WriteLine();
        output.WriteLine($"selftest: {_passed} passed, {_failed} failed");
        return _failed == 0 ? 0 : 1;
    }

    private static void Latencies(List<string> problems, LatencySummary l)
    {
        Require(problems, l.Count > 0, "no latency recorded");
        Require(problems, l.P50Us <= l.P90Us && l.P90Us <= l.P99Us && l.P99Us <= l.P999Us && l.P999Us <= l.MaxUs, $"percentiles out of order: {l}");
    }

    private static void NoErrors(List<string> problems, ErrorSummary e) =>
        Require(problems, e.Total == 0 && e.Warmup == 0, $"{e.Total} errors ({e.Warmup} in warmup), first: {e.First}");

    private static void Require(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }

    private void Report(string name, List<string> problems)
    {
        if (problems.Count == 0)
        {
            _passed++;
            output.WriteLine($"PASS {name}");
        }
        else
        {
            _failed++;
            output.WriteLine($"FAIL {name}: {string.Join("; ", problems)}");
        }
    }
}
