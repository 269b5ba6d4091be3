namespace L4Balancer.Core.Balancing;

/// <summary>The administrative or operational state an agent-check line carried last (HAProxy's keywords); None when it said none.</summary>
internal enum AgentState
{
    None,
    Ready,
    Drain,
    Maint,
    Up,
    Down,
    Fail,
    Stopped,
}
