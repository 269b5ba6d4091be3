namespace L4Balancer.Core.Health.Feedback;

/// <summary>What one poll of a backend brought: an agent's line, a load figure, or why it failed.</summary>
internal sealed record FeedbackPoll(AgentReply? Agent, double? Load, string? Error)
{
    public static FeedbackPoll FromAgent(AgentReply reply) => new(reply, null, null);

    public static FeedbackPoll FromLoad(double load) => new(null, load, null);

    public static FeedbackPoll Failed(string error) => new(null, null, error);

    public bool Succeeded => Error is null;
}
