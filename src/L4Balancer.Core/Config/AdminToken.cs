namespace L4Balancer.Core.Config;

/// <summary>One admin bearer token and what it may do.</summary>
/// <param name="Secret">The resolved secret (after <c>env:</c>/<c>file:</c> indirection). Never logged.</param>
internal sealed record AdminToken(string Secret, AdminScope Scope)
{
    // A record prints its members; a secret must not reach a log line or a test's failure message that way.
    public override string ToString() => $"AdminToken {{ Scope = {Scope} }}";
}
