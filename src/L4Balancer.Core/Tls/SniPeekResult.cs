namespace L4Balancer.Core.Tls;

/// <summary>The outcome of a peek: a status and, for <see cref="SniPeekStatus.Sni"/>, the normalised name.</summary>
/// <param name="Status">How the peek ended.</param>
/// <param name="ServerName">Lower-cased, no trailing dot; null unless <paramref name="Status"/> is <see cref="SniPeekStatus.Sni"/>.</param>
/// <param name="BytesExamined">Bytes that were in the pipe when the peek decided (the hello's size on the wire, at least).</param>
internal readonly record struct SniPeekResult(SniPeekStatus Status, string? ServerName, long BytesExamined)
{
    /// <summary>True when the client sent a complete, valid ClientHello, with or without SNI.</summary>
    public bool IsClientHello => Status is SniPeekStatus.Sni or SniPeekStatus.NoSni;
}
