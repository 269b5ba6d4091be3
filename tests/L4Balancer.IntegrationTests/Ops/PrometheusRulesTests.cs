using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// The shipped alert rules (deploy/prometheus, issue 17): valid for Prometheus, and each alert fires when
/// it should and stays quiet when it should not, by the unit tests beside them (promtool test rules).
/// That they read only series the balancer exports is checked with the dashboard (Admin/MetricsTests).
/// </summary>
public class PrometheusRulesTests
{
    private static string Folder => Path.Combine(RepoPaths.Root, "deploy", "prometheus");

    [PromtoolFact]
    public async Task The_rules_file_passes_promtool_check_rules()
    {
        var (code, output, errors) = await ExternalTool.RunAsync(PromtoolFactAttribute.Path!, ["check", "rules", Path.Combine(Folder, "l4balancer.rules.yml")]);

        Assert.True(code == 0, $"promtool exit {code}:\n{output}\n{errors}");
        Assert.Contains("SUCCESS: 6 rules found", output);
    }

    [PromtoolFact]
    public async Task The_alerts_pass_their_promtool_unit_tests()
    {
        var (code, output, errors) = await ExternalTool.RunAsync(PromtoolFactAttribute.Path!, ["test", "rules", Path.Combine(Folder, "l4balancer.rules.test.yml")]);

        Assert.True(code == 0, $"promtool exit {code}:\n{output}\n{errors}");
        Assert.Contains("SUCCESS", output);
        Assert.DoesNotContain("FAILED", output + errors);
    }
}
