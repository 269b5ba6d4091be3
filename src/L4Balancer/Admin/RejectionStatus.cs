namespace L4Balancer.Admin;

/// <summary>One <c>l4lb_connections_rejected_total</c> series; <see cref="Tenant"/> is empty when none was known yet.</summary>
internal sealed record RejectionStatus(string Listener, string Tenant, string Reason, long Count);
