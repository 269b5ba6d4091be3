using L4Balancer.Core.Balancing;
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

    /// <summary>What a failing port answers (default: a refused connect).</summary>
    public CheckResult Failure { get; set; } = new(CheckStatus.L4CON, "connection refused");

    public ValueTask<CheckResult> ProbeAsync(BackendState backend, HealthConfig settings, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken)
    {
        var port = backend.EndPoint.Port;
        lock (_answers)
        {
            LastProxyProtocol = proxyProtocol;
            _calls[port] = _calls.GetValueOrDefault(port) + 1;
            if (Hang)
            {
                return new ValueTask<CheckResult>(new TaskCompletionSource<CheckResult>().Task);
            }

            return ValueTask.FromResult(_answers.GetValueOrDefault(port, true) ? new CheckResult(CheckStatus.L4OK, "connected") : Failure);
        }
    }
}
