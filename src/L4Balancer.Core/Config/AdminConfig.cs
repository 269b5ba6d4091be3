using System.Net;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[admin]</c> table; absent = no admin endpoint.</summary>
internal sealed record AdminConfig
{
    public required IPEndPoint Listen { get; init; }

    /// <summary>The resolved secret (after <c>env:</c>/<c>file:</c> indirection). Never logged.</summary>
    public required string Token { get; init; }
}
