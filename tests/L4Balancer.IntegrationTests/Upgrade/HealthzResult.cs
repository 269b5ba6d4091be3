namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>What a <see cref="HealthzPoller"/> saw: HTTP answers (any status), refused connects, probes that got no answer.</summary>
internal sealed record HealthzResult(int Answered, int Refused, IReadOnlyList<string> Unanswered)
{
    public override string ToString() =>
        $"{Answered} answered, {Refused} refused, {Unanswered.Count} unanswered" + string.Concat(Unanswered.Take(20).Select(u => "\n  " + u));
}
