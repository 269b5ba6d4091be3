using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Issue 12 on the real executable: three SIGUSR2 in a row (a good one, one with an invalid config,
/// one with a changed config) while 20 long streams move bytes both ways and four client addresses
/// connect a few hundred times a second through a port listener and an sni listener. Nothing may be
/// refused, reset, lost or corrupted; each stream stays on the process that accepted it, and each old
/// process exits 0 once its streams end.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeUnderLoadTests(ITestOutputHelper output)
{
    private const int PerSourcePerSecond = 75; // four sources: 300 connections/s offered
    private const double MinimumRate = 200;
    private static readonly TimeSpan StreamDuration = TimeSpan.FromSeconds(10);

    private sealed record RunningStream(int Index, int Owner, Task<EchoStreamResult> Result, long StartedAt);

    [Fact]
    public async Task Three_upgrades_under_load_refuse_reset_and_lose_nothing()
    {
        await using var a = GreetingBackend.Start("A");
        await using var b = GreetingBackend.Start("B");
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [a.EndPoint]), ports);
        var first = rig.First.Id;
        var hello = new ClientHelloBuilder().Build();
        var streams = new List<RunningStream>();
        var opened = new List<EchoStream>();

        // Opens streams (alternately through the port and the sni listener) and proves which process
        // accepted each: the owner of the balancer's backend socket must be the serving process.
        async Task OpenStreamsAsync(int count, string marker)
        {
            for (var i = 0; i < count; i++)
            {
                var index = streams.Count;
                var sni = index % 2 == 1;
                var stream = await EchoStream.OpenAsync(sni ? ports.Tls : ports.Plain, sni ? hello : null);
                opened.Add(stream);
                Assert.Equal(marker, stream.Marker);
                var owner = TcpSocketOwner.Find(stream.BalancerSide, stream.BackendSide, rig.KnownPids);
                Assert.True(owner == rig.ServingPid, $"stream {index} ({stream.BalancerSide} -> {stream.BackendSide}) is held by {owner?.ToString() ?? "no known process"}, not by the serving process {rig.ServingPid} (known: {string.Join(", ", rig.KnownPids)})");
                streams.Add(new RunningStream(index, rig.ServingPid, stream.RunAsync(seed: index, StreamDuration), Stopwatch.GetTimestamp()));
            }
        }

        var loop = ConnectLoop.Start(ports.Plain, ports.Tls, hello, PerSourcePerSecond);
        try
        {
            var initial = await rig.Admin.StatusAsync();
            Assert.True(initial.Pid == first && initial.ParentPid is null && initial.TookOverAt is null, $"a fresh start: {initial}");
            await OpenStreamsAsync(7, "A");

            // 1: same binary, same config.
            var one = await rig.UpgradeAsync();
            Assert.True(one.Succeeded, one.Line);
            var afterOne = await rig.Admin.StatusAsync();
            Assert.True(afterOne.Pid == one.NewPid && afterOne.ParentPid == first && afterOne.Generation == 2, $"after upgrade 1 (new pid {one.NewPid}): {afterOne}");
            Assert.NotNull(afterOne.TookOverAt);
            await OpenStreamsAsync(7, "A");

            // 2: an invalid config. The new process reports it and exits; the serving one keeps going.
            await rig.WriteConfigAsync(UpgradeConfigs.Body(ports, [a.EndPoint]) + UpgradeConfigs.InvalidTail);
            var two = await rig.UpgradeAsync();
            Assert.False(two.Succeeded, two.Line);
            Assert.Matches($@"{Regex.Escape(rig.ConfigPath)}:\d+: .*{UpgradeConfigs.InvalidKey}", two.Line);
            await rig.ExitCodeAsync(two.NewPid); // gone (its parent, the serving process, reaped it)
            var afterTwo = await rig.Admin.StatusAsync();
            Assert.True(afterTwo.Pid == one.NewPid && afterTwo.Generation == 2 && afterTwo.UpgradesError == 1, $"after the failed upgrade 2: {afterTwo}");

            // 3: a changed config: backend B instead of A, for new connections.
            await rig.WriteConfigAsync(UpgradeConfigs.Body(ports, [b.EndPoint]));
            var three = await rig.UpgradeAsync();
            Assert.True(three.Succeeded, three.Line);
            var afterThree = await rig.Admin.StatusAsync();
            Assert.True(afterThree.Pid == three.NewPid && afterThree.ParentPid == one.NewPid && afterThree.Generation == 3, $"after upgrade 3 (new pid {three.NewPid}): {afterThree}");
            Assert.True(afterThree.UpgradesOk == 2 && afterThree.UpgradesError == 1, $"upgrade counts carried over: {afterThree}");
            await OpenStreamsAsync(6, "B");

            // The old processes drain: still running while their streams do. Checked only against streams
            // with more than a second of sending left (on a loaded machine the upgrades can outlast the
            // first streams, and then their process may rightly be gone): exit first, streams second.
            foreach (var old in new[] { first, one.NewPid })
            {
                var exited = rig.ExitOf(old).IsCompleted;
                var busy = streams.Count(s => s.Owner == old && Stopwatch.GetElapsedTime(s.StartedAt) < StreamDuration - TimeSpan.FromSeconds(1));
                Assert.False(exited && busy > 0, $"{old} exited while {busy} of its streams ran");
            }

            var results = await Task.WhenAll(streams.Select(s => s.Result));
            output.WriteLine($"upgrades: {one.Line} | {two.Line} | {three.Line}");
            output.WriteLine($"streams: {results.Length}, {results.Count(r => r.Intact)} intact, {results.Sum(r => r.Sent) / (1 << 20)} MiB each way, by process: {string.Join(", ", streams.GroupBy(s => s.Owner).Select(g => $"{g.Key}: {g.Count()}"))}");
            for (var i = 0; i < results.Length; i++)
            {
                Assert.True(results[i].Intact, $"stream {i} (on {streams[i].Owner}): {results[i]}");
            }

            // Each old process exits 0 once its last stream has ended, well before drain_timeout (30 s).
            foreach (var old in new[] { first, one.NewPid })
            {
                Assert.Equal(0, await rig.ExitCodeAsync(old, TimeSpan.FromSeconds(10)));
            }

            Assert.DoesNotContain(rig.First.Output, l => l.Contains("end=drained", StringComparison.Ordinal));

            var connects = await loop.StopAsync();
            output.WriteLine($"connect loop: {connects}; greeted by A: {loop.Records.Count(r => r.Marker == "A")}, by B: {loop.Records.Count(r => r.Marker == "B")}");
            Assert.True(connects.Refused == 0 && connects.Resets == 0 && connects.OtherFailures.Count == 0, connects.ToString());
            Assert.True(connects.Rate >= MinimumRate, $"the connect loop idled: {connects}");

            // New connections went to the new config's backend after upgrade 3, to the old one before it.
            var records = loop.Records;
            Assert.All(records.Where(r => r.StartedAt < three.SignalledAt), r => Assert.Equal("A", r.Marker));
            var afterHandOver = records.Where(r => r.StartedAt > three.EndedAt).ToList();
            Assert.All(afterHandOver, r => Assert.Equal("B", r.Marker));
            Assert.Contains(afterHandOver, r => r.Sni);
            Assert.Contains(afterHandOver, r => !r.Sni);
            Assert.Equal(4, records.Select(r => r.Source).Distinct().Count());

            Assert.Equal(0, await rig.StopAsync());
        }
        finally
        {
            await loop.StopAsync();
            opened.ForEach(s => s.Dispose());
        }
    }
}
