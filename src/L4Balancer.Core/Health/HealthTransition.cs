namespace L4Balancer.Core.Health;

/// <summary>What one health observation did to a backend.</summary>
internal enum HealthTransition
{
    None,
    Up,
    Down,
}
