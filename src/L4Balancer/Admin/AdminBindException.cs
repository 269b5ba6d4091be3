using System.Net;
using L4Balancer.Core.Runtime;

namespace L4Balancer.Admin;

/// <summary>The admin endpoint could not bind <c>[admin].listen</c>: a fatal start error, like a listener's.</summary>
internal sealed class AdminBindException(IPEndPoint address, Exception inner)
    : BindFailedException($"admin: cannot bind {address}: {inner.Message}", inner);
