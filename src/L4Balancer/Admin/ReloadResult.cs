namespace L4Balancer.Admin;

/// <summary><c>POST /api/reload</c> succeeded: the generation now serving.</summary>
internal sealed record ReloadResult(long Generation);
