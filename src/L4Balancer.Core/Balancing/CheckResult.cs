namespace L4Balancer.Core.Balancing;

/// <summary>The outcome of one check of a backend: its status code and a short text for people (HAProxy's <c>check_desc</c>).</summary>
internal sealed record CheckResult(CheckStatus Status, string Detail)
{
    /// <summary>The backend passed: it answered as the check type asks.</summary>
    public bool Passed => Status is CheckStatus.L4OK or CheckStatus.L6OK or CheckStatus.L7OK;
}
