using System.Net;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>One completed connection of a <see cref="ConnectLoop"/>: when it started (Stopwatch timestamp), which backend greeted it.</summary>
internal sealed record ConnectRecord(long StartedAt, string Marker, bool Sni, IPAddress Source);
