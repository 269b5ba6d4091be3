using System.Net;
using System.Text.Json;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health.Feedback;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Feedback;

/// <summary>HAProxy's agent check against scripted agents on loopback (issue 16).</summary>
public class AgentFeedbackTests
{
    private static FeedbackConfig Settings(int port, string? send = null, int intervalMs = 1000) => new()
    {
        Source = FeedbackSource.Agent,
        Interval = TimeSpan.FromMilliseconds(intervalMs),
        Timeout = TimeSpan.FromMilliseconds(intervalMs),
        StaleAfter = TimeSpan.FromMilliseconds(intervalMs * 3),
        AgentPort = port,
        AgentSend = send,
    };

    private static BackendState Backend(int port = 9) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port) });

    private static async Task<FeedbackPoll> PollAsync(ScriptedAgent agent, string? send = null)
    {
        using var source = new AgentSource(Settings(agent.Port, send));
        return await source.PollAsync(Backend(), Deadline.After(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData("75%\n", "None", "None", 75, null, null)]
    [InlineData("weight:20%\r\n", "None", "None", 20, null, null)]
    [InlineData("maxconn:12\r\n", "None", "None", null, 12, null)]
    [InlineData("ready\n", "Ready", "None", null, null, null)]
    [InlineData("drain\n", "Drain", "None", null, null, null)]
    [InlineData("maint\r", "Maint", "None", null, null, null)]
    [InlineData("up\n", "None", "Up", null, null, null)]
    [InlineData("down #disk full\n", "None", "Down", null, null, "disk full")]
    [InlineData("fail\n", "None", "Fail", null, null, null)]
    [InlineData("stopped\n", "None", "Stopped", null, null, null)]
    [InlineData("DRAIN,50%\tmaxconn:3 down # why not\n", "Drain", "Down", 50, 3, "why not")]
    [InlineData("up\nignored second line\n", "None", "Up", null, null, null)]
    [InlineData("\n", "None", "None", null, null, null)]
    public async Task Each_keyword_over_a_real_socket(string line, string admin, string health, int? percent, int? maxconn, string? reason)
    {
        await using var agent = new ScriptedAgent(line);

        var poll = await PollAsync(agent);

        Assert.True(poll.Succeeded, poll.Error);
        Assert.Equal(Enum.Parse<AgentState>(admin), poll.Agent!.Admin);
        Assert.Equal(Enum.Parse<AgentState>(health), poll.Agent.Health);
        Assert.Equal(percent, poll.Agent.WeightPercent);
        Assert.Equal(maxconn, poll.Agent.MaxConnections);
        Assert.Equal(reason, poll.Agent.Description);
    }

    [Fact]
    public async Task Agent_send_reaches_the_agent_before_it_answers()
    {
        await using var agent = new ScriptedAgent();
        agent.Say("42%\n", readRequest: true);

        var poll = await PollAsync(agent, send: "backend=acme\n");

        Assert.Equal(42, poll.Agent!.WeightPercent);
        Assert.Equal("backend=acme", Assert.Single(agent.Received));
    }

    [Fact]
    public async Task An_agent_that_closes_right_after_its_line_is_fine()
    {
        await using var agent = new ScriptedAgent();
        agent.CloseAfter("drain\n");

        var poll = await PollAsync(agent);

        Assert.Equal(AgentState.Drain, poll.Agent!.Admin);
    }

    [Theory]
    [InlineData("", "closed the connection without a line")]
    [InlineData("drain", "incomplete line (closed before CR or LF)")]
    [InlineData("up\0down\n", "NUL byte in the line")]
    public async Task Bad_lines_fail_the_poll(string sent, string error)
    {
        await using var agent = new ScriptedAgent();
        if (sent.EndsWith('\n'))
        {
            agent.Say(sent);
        }
        else
        {
            agent.CloseAfter(sent);
        }

        var poll = await PollAsync(agent);

        Assert.False(poll.Succeeded);
        Assert.EndsWith(error, poll.Error, StringComparison.Ordinal);
        Assert.Null(poll.Agent);
    }

    [Fact]
    public async Task A_line_longer_than_a_kilobyte_is_refused()
    {
        await using var agent = new ScriptedAgent(new string('x', 2000) + "\n");

        var poll = await PollAsync(agent);

        Assert.EndsWith("no end of line within 1024 bytes", poll.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_agent_port_is_a_failed_poll()
    {
        var closed = TestConfigs.ClosedPort();
        using var source = new AgentSource(Settings(closed.Port));

        var poll = await source.PollAsync(Backend(), Deadline.After(TimeSpan.FromSeconds(10)));

        Assert.Equal($"agent {closed}: ConnectionRefused", poll.Error);
    }

    private static BalancerConfig Config(TestBackend a, ScriptedAgent agentA, TestBackend b, ScriptedAgent agentB, int intervalMs = 100) =>
        TestConfigs.PortRouted(
            [TestConfigs.Backend(a, weight: 4) with { AgentPort = agentA.Port }, TestConfigs.Backend(b) with { AgentPort = agentB.Port }],
            t => t with { Feedback = Settings(0, intervalMs: intervalMs) });

    [Fact]
    public async Task Through_the_balancer_the_agent_drains_and_the_status_says_who()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        await using var agentA = new ScriptedAgent("up 50% maxconn:30\n");
        await using var agentB = new ScriptedAgent("up\n");
        await using var admin = await AdminHarness.StartAsync(Config(a, agentA, b, agentB));
        var engine = admin.Balancer.Engine;
        var stateA = engine.Current.Tenants[TestConfigs.TenantName].Backends[0];
        await Deadline.UntilAsync(() => stateA.EffectiveWeight == 2, because: "the agent's 50% of weight 4");
        Assert.Equal(30, stateA.EffectiveMaxConnections);

        agentA.Say("drain # upgrading\n");
        await Deadline.UntilAsync(() => stateA.IsAgentDraining);
        for (var i = 0; i < 6; i++)
        {
            using var client = await admin.Balancer.ConnectAsync();
            Assert.Equal("b", await client.ReadLineAsync(Deadline.After()));
        }

        var status = JsonDocument.Parse(await admin.GetStringAsync("/api/status")).RootElement;
        var backend = status.GetProperty("backends").EnumerateArray().Single(x => x.GetProperty("address").GetString() == a.Address);
        Assert.True(backend.GetProperty("draining").GetBoolean());
        Assert.Equal(["agent"], backend.GetProperty("drained_by").EnumerateArray().Select(x => x.GetString()));
        Assert.Empty(backend.GetProperty("down_by").EnumerateArray());
        Assert.Equal("drain", backend.GetProperty("agent_state").GetString());
        Assert.Equal("upgrading", backend.GetProperty("report_reason").GetString());
        Assert.Equal(4, backend.GetProperty("weight").GetInt32());
        Assert.Equal(2, backend.GetProperty("effective_weight").GetInt32()); // what the line did not say stays
        Assert.Equal(50, backend.GetProperty("agent_weight_percent").GetInt32());
        Assert.Equal(30, backend.GetProperty("agent_maxconn").GetInt32());
        Assert.InRange(backend.GetProperty("report_age_seconds").GetDouble(), 0, 5);
        Assert.False(backend.GetProperty("report_stale").GetBoolean());

        // The operator drains too, then undrains: the agent's drain stands.
        Assert.True((await admin.SendAsync(HttpMethod.Post, $"/api/tenants/{TestConfigs.TenantName}/backends/{Uri.EscapeDataString(a.Address)}/drain")).IsSuccessStatusCode);
        var drained = JsonDocument.Parse(await (await admin.SendAsync(HttpMethod.Post, $"/api/tenants/{TestConfigs.TenantName}/backends/{Uri.EscapeDataString(a.Address)}/undrain")).Content.ReadAsStringAsync()).RootElement;
        Assert.True(drained.GetProperty("draining").GetBoolean());
        Assert.Equal(["agent"], drained.GetProperty("drained_by").EnumerateArray().Select(x => x.GetString()));

        var polls = agentA.Connections;
        await Deadline.UntilAsync(() => agentA.Connections >= polls + 5, because: "more polls repeating drain");
        Assert.Single(admin.Balancer.Logs.Entries, e => e.EventId == 4205);

        agentA.Say("ready down\n");
        await Deadline.UntilAsync(() => !stateA.IsAgentDraining && stateA.IsAgentDown);
        var metrics = await admin.ScrapeAsync();
        Assert.Equal(0, metrics.Get("l4lb_backend_up", ("tenant", TestConfigs.TenantName), ("backend", a.Address)));
        Assert.InRange(metrics.Get("l4lb_backend_report_age_seconds", ("tenant", TestConfigs.TenantName), ("backend", a.Address)), 0, 5);
        Assert.Null(metrics.Find("l4lb_backend_reported_load", ("tenant", TestConfigs.TenantName), ("backend", a.Address))); // an agent reports no load

        agentA.Say("up\n");
        await Deadline.UntilAsync(() => !stateA.IsAgentDown);
        await Deadline.UntilAsync(async () =>
        {
            using var client = await admin.Balancer.ConnectAsync();
            return await client.ReadLineAsync(Deadline.After()) == "a";
        }, because: "a back in rotation");
    }

    [Fact]
    public async Task A_silent_or_slow_agent_times_out_logged_once_and_its_report_goes_stale()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        await using var agentA = new ScriptedAgent("25%\n");
        await using var agentB = new ScriptedAgent("up\n");
        await using var balancer = await BalancerHarness.StartAsync(Config(a, agentA, b, agentB));
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0];
        await Deadline.UntilAsync(() => stateA.EffectiveWeight == 1);

        agentA.Silent();
        await Deadline.UntilAsync(() => stateA.Report?.Reason == "no answer within 100ms");
        await Deadline.UntilAsync(() => stateA.AgentWeightPercent is null, because: "stale after 300ms: the 25% lapses");
        Assert.Equal(4, stateA.EffectiveWeight);
        Assert.Equal(25, stateA.Report!.WeightPercent); // kept, for the status

        agentA.Say("up\n", delay: TimeSpan.FromMilliseconds(500)); // slow: past the 100ms timeout
        var polls = agentA.Connections;
        await Deadline.UntilAsync(() => agentA.Connections >= polls + 4);
        Assert.True(stateA.IsAvailable); // feedback never takes a backend out by itself
        // a's lines only: b's agent answers, but on a loaded machine its report can go stale too (seen in CI).
        bool OfA((string Category, int EventId, string Message) e, int id) => e.EventId == id && e.Message.Contains(a.Address, StringComparison.Ordinal);
        Assert.Single(balancer.Logs.Entries, e => OfA(e, 4202));
        Assert.Single(balancer.Logs.Entries, e => OfA(e, 4204));

        agentA.Say("30%\n");
        await Deadline.UntilAsync(() => stateA.AgentWeightPercent == 30);
        await Deadline.UntilAsync(() => balancer.Logs.Entries.Any(e => OfA(e, 4203)));
        polls = agentA.Connections;
        await Deadline.UntilAsync(() => agentA.Connections >= polls + 3);
        Assert.Single(balancer.Logs.Entries, e => OfA(e, 4203));
    }
}
