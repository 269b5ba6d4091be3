using System.Net;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[admin]</c> table; absent = no admin endpoint.</summary>
internal sealed record AdminConfig
{
    public required IPEndPoint Listen { get; init; }

    /// <summary>
    /// Every token the endpoint accepts, with its scope (issue 17): the <c>[[admin.token]]</c> entries, or the
    /// one <c>token = "..."</c> of scope operate. Never empty once validated.
    /// </summary>
    public IReadOnlyList<AdminToken> Tokens { get; init; } = [];

    /// <summary>
    /// The single <c>token</c> key (before issue 17 the only form): one token of scope operate. Reads the
    /// first operate token, so code and tests written for one token keep working.
    /// </summary>
    public string Token
    {
        get => Tokens.FirstOrDefault(t => t.Scope == AdminScope.Operate)?.Secret ?? "";
        init => Tokens = [new AdminToken(value, AdminScope.Operate)];
    }

    // The generated one would print Token, the secret.
    public override string ToString() => $"AdminConfig {{ Listen = {Listen}, Tokens = {Tokens.Count} }}";
}
