using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// One agent-check line, parsed as HAProxy's <c>tcpcheck_agent_expect_reply</c> does (src/tcpcheck.c):
/// within a category the last word wins; what the line does not say stays as it was.
/// </summary>
/// <param name="Admin">Ready, Drain or Maint; None when the line said none.</param>
/// <param name="Health">Up, Down, Fail or Stopped; None when the line said none.</param>
/// <param name="WeightPercent">A relative weight (<c>75%</c> or <c>weight:75%</c>), clamped to HAProxy's 25600 %.</param>
/// <param name="AbsoluteWeight">An absolute weight (<c>weight:50</c>, 0–256).</param>
/// <param name="MaxConnections">A <c>maxconn:N</c>.</param>
/// <param name="Description">The text after a word-initial <c>#</c>, blanks skipped; null when none.</param>
/// <param name="Error">The first word HAProxy would not know, which it reports and otherwise ignores.</param>
/// <param name="Warning">Why a weight or maxconn word was refused (HAProxy's message), the word ignored.</param>
internal sealed record AgentReply(
    AgentState Admin,
    AgentState Health,
    int? WeightPercent,
    int? AbsoluteWeight,
    int? MaxConnections,
    string? Description,
    string? Error,
    string? Warning);
