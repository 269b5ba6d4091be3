using System.Security.Cryptography;
using L4Balancer.Core.Config;
using L4Balancer.Core.Telemetry;
using L4Balancer.Hosting;

namespace L4Balancer.Demo;

/// <summary><c>l4balancer demo</c>: two built-in backends and a balancer in front of them, from the embedded config.</summary>
internal static class DemoCommand
{
    public const string ConfigResource = "L4Balancer.Demo.demo.toml";

    public static async Task<int> RunAsync(LogFormat format)
    {
        await using var a = DemoBackend.Start("a");
        await using var b = DemoBackend.Start("b");
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var result = LoadConfig(a, b, token);
        if (!result.IsValid)
        {
            ConfigErrors.Print(result);
            return ExitCodes.BadConfig;
        }

        return await BalancerHost.RunAsync(result.Config, format, configPath: null, onStarted: engine =>
        {
            var front = engine.ListenerEndPoints["demo-http"];
            var admin = result.Config.Admin!.Listen;
            Console.WriteLine($"""

                L4Balancer {BuildInfo.Current.Version} demo
                  balancer  {front}  (listener "demo-http", tenant "demo", least connections)
                  backend a {a.EndPoint}
                  backend b {b.EndPoint}

                Try, in another terminal:
                  curl -s http://{front}/hello
                      answered by backend a or b
                  curl -s http://{front}/a http://{front}/b
                      two requests on one keep-alive connection: one backend answers both
                  curl -N -X POST http://{front}/v1/chat/completions
                      a chunked answer streamed token by token, as an LLM gateway streams

                Admin endpoint (token {token}):
                  dashboard  http://{admin}/#token={token}
                  curl -s -H 'Authorization: Bearer {token}' http://{admin}/api/status
                  curl -s -H 'Authorization: Bearer {token}' http://{admin}/metrics

                Ctrl-C drains open connections and stops.

                """);
        }).ConfigureAwait(false);
    }

    public static ConfigLoadResult LoadConfig(DemoBackend a, DemoBackend b, string adminToken)
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream(ConfigResource)
            ?? throw new InvalidOperationException($"embedded resource {ConfigResource} is missing from the build");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd()
            .Replace("{{BACKEND_A}}", a.EndPoint.ToString(), StringComparison.Ordinal)
            .Replace("{{BACKEND_B}}", b.EndPoint.ToString(), StringComparison.Ordinal)
            .Replace("{{ADMIN_TOKEN}}", adminToken, StringComparison.Ordinal);
        return ConfigLoader.Parse(text, "demo.toml");
    }
}
