using L4Balancer.Core.Config;

namespace L4Balancer.Admin;

/// <summary>
/// Endpoint metadata: the token scope a route needs (issue 17). A route without it needs
/// <see cref="AdminScope.Operate"/>, so a route added later without thinking about scopes is closed to a
/// read token rather than open to it.
/// </summary>
internal sealed record RequiresScope(AdminScope Scope);
