namespace L4Balancer.Admin;

/// <summary>The body of a <c>POST /api/reload</c> that succeeded (<c>{"generation":N}</c>): the generation now serving.</summary>
internal sealed record ReloadResponse(long Generation);
