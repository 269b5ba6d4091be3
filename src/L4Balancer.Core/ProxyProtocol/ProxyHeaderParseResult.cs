namespace L4Balancer.Core.ProxyProtocol;

/// <summary>The parser's answer: a header when <see cref="Status"/> is Complete, else why not.</summary>
internal readonly record struct ProxyHeaderParseResult(ProxyHeaderStatus Status, ProxyHeader? Header, string Message)
{
    public bool IsComplete => Status == ProxyHeaderStatus.Complete;

    /// <summary>Neither complete nor waiting for more bytes: the connection must be dropped.</summary>
    public bool IsInvalid => Status is not (ProxyHeaderStatus.Complete or ProxyHeaderStatus.Incomplete);

    public static ProxyHeaderParseResult Ok(ProxyHeader header) => new(ProxyHeaderStatus.Complete, header, "ok");

    public static ProxyHeaderParseResult Fail(ProxyHeaderStatus status, string message) => new(status, null, message);

    public override string ToString() => $"{Status}: {Message}";
}
