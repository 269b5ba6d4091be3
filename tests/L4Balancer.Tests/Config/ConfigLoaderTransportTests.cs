using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

public class ConfigLoaderTransportTests
{
    [Fact]
    public void Transport_defaults_to_auto_and_threads_to_one_per_core()
    {
        var config = Load("[global]\n");

        Assert.Equal(TransportKind.Auto, config.Global.Transport);
        Assert.Equal(0, config.Global.Threads);
    }

    [Theory]
    [InlineData("auto", "Auto")]
    [InlineData("sockets", "Sockets")]
    [InlineData("epoll", "Epoll")]
    public void Transport_reads_each_value(string value, string expected)
    {
        var global = Load($"[global]\ntransport = \"{value}\"\nthreads = 3\n").Global;

        Assert.Equal(Enum.Parse<TransportKind>(expected), global.Transport);
        Assert.Equal(3, global.Threads);
    }

    [Fact]
    public void An_unknown_transport_names_the_choices() =>
        AssertError("[global]\ntransport = \"io_uring\"\n", 2, "global: transport must be \"auto\", \"sockets\" or \"epoll\" (got \"io_uring\")");

    [Fact]
    public void Negative_threads_are_refused() =>
        Assert.Contains(Errors("[global]\nthreads = -1\n"), e => e.Line == 2 && e.Message.Contains("threads", StringComparison.Ordinal));
}
