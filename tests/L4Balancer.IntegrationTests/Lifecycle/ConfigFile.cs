using System.Text;
using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>A config file in the temp directory for reload tests: port-routed listeners in front of tenant "t1".</summary>
internal sealed class ConfigFile : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"l4b-reload-{Guid.NewGuid():N}.toml");

    public static string Toml(IEnumerable<(string Name, string Bind)> listeners, IEnumerable<string> backends, string drainTimeout = "30s")
    {
        var text = new StringBuilder($"[global]\ndrain_timeout = \"{drainTimeout}\"\n");
        foreach (var (name, bind) in listeners)
        {
            text.Append($"\n[[listener]]\nname = \"{name}\"\nbind = \"{bind}\"\nroute = \"port\"\ntenant = \"t1\"\n");
        }

        text.Append("\n[[tenant]]\nname = \"t1\"\n");
        foreach (var backend in backends)
        {
            text.Append($"\n[[tenant.backend]]\naddress = \"{backend}\"\n");
        }

        return text.ToString();
    }

    public ConfigFile Write(string toml)
    {
        File.WriteAllText(Path, toml);
        return this;
    }

    public BalancerConfig Load()
    {
        var result = ConfigLoader.LoadFile(Path);
        Assert.True(result.IsValid, string.Join('\n', result.Errors));
        return result.Config;
    }

    public void Dispose() => File.Delete(Path);
}
