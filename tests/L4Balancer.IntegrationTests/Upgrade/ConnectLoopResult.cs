namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>What a <see cref="ConnectLoop"/> saw: completed connections, refusals, resets, anything else that went wrong.</summary>
internal sealed record ConnectLoopResult(int Made, int Refused, int Resets, IReadOnlyList<string> OtherFailures, TimeSpan Elapsed)
{
    public double Rate => Made / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"{Made} connections in {Elapsed.TotalSeconds:F1} s ({Rate:F0}/s), {Refused} refused, {Resets} reset, {OtherFailures.Count} other failures"
        + string.Concat(OtherFailures.Take(20).Select(f => "\n  " + f));
}
