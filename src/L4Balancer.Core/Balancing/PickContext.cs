using System.Net;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// What a policy may know about the connection it picks for. Only key-based policies (Maglev) read it;
/// the others ignore it, so the flow can pass it always.
/// </summary>
/// <param name="ClientAddress">The client's address as every later stage sees it; null if unknown.</param>
/// <param name="ServerName">The TLS server name (lower-cased by the SNI peek); null on port listeners and hellos without one.</param>
internal readonly record struct PickContext(IPAddress? ClientAddress, string? ServerName);
