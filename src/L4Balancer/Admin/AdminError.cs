namespace L4Balancer.Admin;

/// <summary>The body of every admin error answer but 401 (which has none).</summary>
internal sealed record AdminError(string Error, IReadOnlyList<string>? Errors = null);
