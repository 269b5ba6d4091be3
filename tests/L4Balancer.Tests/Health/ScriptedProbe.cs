using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health;

namespace L4Balancer.Tests.Health;

/// <summary>A probe whose answers the test sets per port; answers synchronously unless told to hang.</summary>
internal sealed class ScriptedProbe : IHealthProbe
{
    private readonly Dictionary<int, bool> _answers = [];
    private readonly Dictionary<int, int> _calls = [];

    /// <summary>Every probe from now on stays pending (a check slower than its interval).</summary>
    public bool Hang { get; set; }

    public void Set(int port, bool passes)
    {
        lock (_answers)
        {
            _answers[port] = passes;
        }
    }

    public int Calls(int port)
    {
        lock (_answers)
        {
            return _calls.GetValueOrDefault(port);
        }
    }

    /// <summary>The <c>proxy_protocol</c> the last probe was asked to send.</summary>
    public ProxyProtocolMode? LastProxyProtocol { get; private set; }

    public ValueTask<bool> ProbeAsync(IPEndPoint endPoint, TimeSpan timeout, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken)
    {
        lock (_answers)
        {
            LastProxyProtocol = proxyProtocol;
            _calls[endPoint.Port] = _calls.GetValueOrDefault(endPoint.Port) + 1;
            if (Hang)
            {
                return new ValueTask<bool>(new TaskCompletionSource<bool>().Task);
            }

            return ValueTask.FromResult(_answers.GetValueOrDefault(endPoint.Port, true));
        }
    }
}
