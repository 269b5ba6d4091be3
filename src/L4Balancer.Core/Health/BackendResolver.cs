using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health;

/// <summary>
/// Looks a backend's host name up again while it does not resolve (issue 17, item 6): every
/// <c>resolve_interval</c> and in every health check round of its tenant. An answer puts the backend at the
/// new address and back in rotation; a failure keeps it down with check status DNS. One lookup per
/// backend at a time, each bounded like the config's (<see cref="ConfigLoader.LookupTimeout"/>).
/// </summary>
internal sealed class BackendResolver(Func<string, CancellationToken, Task<IPAddress[]>> lookup, TimeProvider timeProvider, ILogger logger)
{
    private readonly HashSet<BackendState> _inFlight = new(ReferenceEqualityComparer.Instance);

    /// <summary>Resolves <paramref name="backend"/>'s host if it is unresolved; true once it is resolved (now or before).</summary>
    public async Task<bool> ResolveAsync(BackendState backend, CancellationToken cancellationToken)
    {
        if (backend.IsResolved)
        {
            return true;
        }

        var config = backend.Config;
        if (config.Host is not { } host)
        {
            return backend.IsResolved;
        }

        lock (_inFlight)
        {
            if (!_inFlight.Add(backend))
            {
                return false; // the other lookup will tell
            }
        }

        try
        {
            IPAddress? address;
            string? error = null;
            try
            {
                address = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                    ? IPAddress.Loopback
                    : ConfigBinder.PreferredAddress(await lookup(host, cancellationToken).WaitAsync(ConfigLoader.LookupTimeout, timeProvider, cancellationToken).ConfigureAwait(false));
                if (address is null)
                {
                    error = ConfigBinder.NoAddress;
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                address = null;
                error = e is TimeoutException ? $"no answer within {ConfigLoader.LookupTimeout.TotalSeconds:0.###} s" : e.Message;
            }

            // A reload may have replaced the backend's config meanwhile (a new host, or a literal address).
            if (!ReferenceEquals(backend.Config, config))
            {
                return backend.IsResolved;
            }

            if (address is null)
            {
                backend.SetUnresolvedReason(error!);
                return false;
            }

            var endPoint = new IPEndPoint(address, config.Port);
            if (backend.SetResolved(endPoint))
            {
                HealthLog.Resolved(logger, backend.Tenant, backend.Address, endPoint);
            }

            return true;
        }
        finally
        {
            lock (_inFlight)
            {
                _inFlight.Remove(backend);
            }
        }
    }
}
