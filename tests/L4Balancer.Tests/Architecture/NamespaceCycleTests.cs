using System.Text;
using L4Balancer.Core.Runtime;

namespace L4Balancer.Tests.Architecture;

/// <summary>
/// Folders are features and features form a DAG (DESIGN.md "house habits"): a cycle between two folders
/// means neither can change or be replaced alone. Read from the built assemblies, so a dependency
/// cannot hide behind a fully qualified name.
/// </summary>
public class NamespaceCycleTests
{
    [Fact]
    public void Core_folders_depend_on_each_other_without_cycles() =>
        AssertNoCycles(typeof(BalancerEngine).Assembly.Location, "L4Balancer.Core");

    [Fact]
    public void Host_folders_depend_on_each_other_without_cycles() =>
        AssertNoCycles(Path.Combine(AppContext.BaseDirectory, "l4balancer.dll"), "L4Balancer");

    [Fact]
    public void The_reader_sees_a_dependency_that_exists()
    {
        // Guards the tests above against passing because the graph came out empty.
        var graph = NamespaceGraph.Read(typeof(BalancerEngine).Assembly.Location, "L4Balancer.Core");

        Assert.Contains("L4Balancer.Core.Config", graph.UsesOf("L4Balancer.Core.Runtime").Keys);
        Assert.Contains("L4Balancer.Core.Net", graph.UsesOf("L4Balancer.Core.Routing").Keys);
    }

    private static void AssertNoCycles(string assemblyPath, string root)
    {
        Assert.True(File.Exists(assemblyPath), $"{assemblyPath} not built next to the tests");
        var graph = NamespaceGraph.Read(assemblyPath, root);
        Assert.NotEmpty(graph.Namespaces);

        var cycles = graph.Cycles();
        if (cycles.Count == 0)
        {
            return;
        }

        var report = new StringBuilder();
        foreach (var cycle in cycles)
        {
            report.AppendLine($"cycle: {string.Join(" <-> ", cycle)}");
            foreach (var from in cycle)
            {
                foreach (var (to, example) in graph.UsesOf(from).Where(e => cycle.Contains(e.Key)))
                {
                    report.AppendLine($"  {from} -> {to}: {example}");
                }
            }
        }

        Assert.Fail(report.ToString());
    }
}
