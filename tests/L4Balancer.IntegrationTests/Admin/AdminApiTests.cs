using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using L4Balancer.Admin;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>The admin routes other than auth and metrics: status, drain/undrain, reload, health.</summary>
public class AdminApiTests
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement;
    }

    private static string DrainPath(string tenant, string address, string action = "drain") =>
        $"/api/tenants/{Uri.EscapeDataString(tenant)}/backends/{Uri.EscapeDataString(address)}/{action}";

    /// <summary>Opens a connection and returns the name the backend greeted it with.</summary>
    private static async Task<string> GreetingAsync(AdminHarness admin)
    {
        using var client = await admin.Balancer.ConnectAsync();
        return await client.ReadLineAsync(Deadline.After());
    }

    [Fact]
    public async Task Drain_sends_new_connections_to_the_other_backend_and_undrain_brings_it_back()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a, b));

        // Held open through the drain: a drain stops new connections only.
        using var held = await admin.Balancer.ConnectAsync();
        var heldOn = await held.ReadLineAsync(Deadline.After());
        var other = heldOn == "a" ? b : a;
        var drained = heldOn == "a" ? a : b;

        using (var response = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, drained.Address)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var backend = await JsonAsync(response);
            Assert.True(backend.GetProperty("draining").GetBoolean());
            Assert.Equal(1, backend.GetProperty("active").GetInt32());
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(other == a ? "a" : "b", await GreetingAsync(admin));
        }

        await held.SendTextAsync("still relaying\n", Deadline.After());
        Assert.Equal("still relaying", await held.ReadLineAsync(Deadline.After()));

        using (var response = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, drained.Address, "undrain")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False((await JsonAsync(response)).GetProperty("draining").GetBoolean());
        }

        // Back in rotation. With the held connection gone, two connections held open at once must take
        // one backend each under least connections.
        held.Dispose();
        await Deadline.UntilAsync(() => admin.Balancer.Engine.Connections.Count == 0 && a.Active == 0 && b.Active == 0);
        using var first = await admin.Balancer.ConnectAsync();
        using var second = await admin.Balancer.ConnectAsync();
        var names = new[] { await first.ReadLineAsync(Deadline.After()), await second.ReadLineAsync(Deadline.After()) };
        Assert.Equal(["a", "b"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Drain_of_an_unknown_tenant_or_backend_is_404_and_changes_nothing()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));

        using var noTenant = await admin.SendAsync(HttpMethod.Post, DrainPath("nobody", a.Address));
        Assert.Equal(HttpStatusCode.NotFound, noTenant.StatusCode);

        // The body exactly (issue 17): the quotes as quotes, not \u0022, and no "errors":null.
        Assert.Equal($$"""{"error":"no tenant \"nobody\"; tenants: {{TestConfigs.TenantName}}"}""", await noTenant.Content.ReadAsStringAsync());

        using var noBackend = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, "127.0.0.1:1"));
        Assert.Equal(HttpStatusCode.NotFound, noBackend.StatusCode);
        Assert.Equal(
            $$"""{"error":"tenant \"{{TestConfigs.TenantName}}\" has no backend \"127.0.0.1:1\"; its backends: {{a.Address}}"}""",
            await noBackend.Content.ReadAsStringAsync());

        Assert.False(admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single().IsDraining);
    }

    [Fact]
    public async Task Drain_and_undrain_through_the_admin_API_are_the_engines_and_logged_by_it_and_by_the_audit_line()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a, b));
        var logs = admin.Balancer.Logs;

        using (var drained = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, a.Address)))
        {
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        }

        // 4106 is the engine's (RuntimeLog.BackendDraining); 4001 the admin's audit line, naming who asked.
        Assert.Contains(logs.Entries, e => e is { Category: "L4Balancer.Engine", EventId: 4106 } && e.Message.Contains($"backend {a.Address} draining", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId == 4001 && e.Message.Contains($"backend {a.Address} of tenant {TestConfigs.TenantName} drained by 127.0.0.1:", StringComparison.Ordinal));

        using (var undrained = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, a.Address, "undrain")))
        {
            Assert.Equal(HttpStatusCode.OK, undrained.StatusCode);
        }

        Assert.Contains(logs.Entries, e => e is { Category: "L4Balancer.Engine", EventId: 4107 } && e.Message.Contains($"backend {a.Address} back in rotation", StringComparison.Ordinal));
        Assert.Single(logs.Entries, e => e.EventId == 4106);
    }

    [Ipv6LoopbackFact]
    public async Task An_IPv6_backend_address_works_encoded_or_written_plainly()
    {
        await using var v6 = TestBackend.Start(Handlers.EchoAsync, IPAddress.IPv6Loopback);
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(v6));
        var backend = admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single();
        Assert.StartsWith("[::1]:", backend.Address);

        using (var encoded = await admin.SendAsync(HttpMethod.Post, DrainPath(TestConfigs.TenantName, backend.Address)))
        {
            Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        }

        Assert.True(backend.IsDraining);

        using (var plain = await admin.SendAsync(HttpMethod.Post, $"/api/tenants/{TestConfigs.TenantName}/backends/{backend.Address}/undrain"))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        Assert.False(backend.IsDraining);
    }

    [Fact]
    public async Task Status_reports_listeners_tenants_backends_and_live_figures()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a, b));
        using var open = await admin.Balancer.ConnectAsync();
        await open.SendTextAsync("hello\n", Deadline.After());
        Assert.Equal("hello", await open.ReadLineAsync(Deadline.After()));

        using var response = await admin.SendAsync(HttpMethod.Get, "/api/status");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var status = await JsonAsync(response);

        Assert.Equal(Program.Version, status.GetProperty("version").GetString());
        Assert.True(status.GetProperty("uptime_seconds").GetDouble() >= 0);
        Assert.Equal(1, status.GetProperty("config_generation").GetInt64());
        Assert.True(status.GetProperty("accepting").GetBoolean());

        var listener = status.GetProperty("listeners").EnumerateArray().Single();
        Assert.Equal(TestConfigs.ListenerName, listener.GetProperty("name").GetString());
        Assert.Equal(admin.Balancer.EndPoint().ToString(), listener.GetProperty("bound_address").GetString());
        Assert.Equal("127.0.0.1:0", listener.GetProperty("bind").GetString());
        Assert.Equal("port", listener.GetProperty("route").GetString());
        Assert.Equal(TestConfigs.TenantName, listener.GetProperty("tenant").GetString());

        var tenant = status.GetProperty("tenants").EnumerateArray().Single();
        Assert.Equal(TestConfigs.TenantName, tenant.GetProperty("name").GetString());
        Assert.Equal(1, tenant.GetProperty("active").GetInt64());
        Assert.Equal(1, tenant.GetProperty("total").GetInt64());
        Assert.Equal(6, tenant.GetProperty("bytes").GetProperty("client_to_backend").GetInt64());
        Assert.Equal(6, tenant.GetProperty("bytes").GetProperty("backend_to_client").GetInt64());
        var reasons = tenant.GetProperty("rejections").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["ip_denied", "global_limit", "per_ip_limit", "not_tls", "hello_timeout", "unknown_sni", "tenant_limit", "rate_limited", "no_backend", "proxy_header", "queue_timeout"], reasons);

        var backends = status.GetProperty("backends").EnumerateArray().ToArray();
        Assert.Equal(new[] { a.Address, b.Address }.Order(StringComparer.Ordinal), backends.Select(x => x.GetProperty("address").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(backends, x =>
        {
            Assert.Equal(TestConfigs.TenantName, x.GetProperty("tenant").GetString());
            Assert.True(x.GetProperty("up").GetBoolean());
            Assert.False(x.GetProperty("draining").GetBoolean());
            Assert.Equal(0, x.GetProperty("connect_failures").GetInt64());
        });
        Assert.Equal(1, backends.Sum(x => x.GetProperty("active").GetInt32()));
        Assert.Equal(1, backends.Sum(x => x.GetProperty("total").GetInt64()));
    }

    [Fact]
    public async Task Status_of_a_fresh_start_has_its_pid_and_no_predecessor()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));

        using var response = await admin.SendAsync(HttpMethod.Get, "/api/status");
        var status = await JsonAsync(response);

        Assert.Equal(Environment.ProcessId, status.GetProperty("pid").GetInt32());
        // Present and null, not left out: "no predecessor" is an answer.
        Assert.Equal(JsonValueKind.Null, status.GetProperty("parent_pid").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("took_over_at").ValueKind);
        Assert.Equal(0, status.GetProperty("upgrades").GetProperty("ok").GetInt64());
        Assert.Equal(0, status.GetProperty("upgrades").GetProperty("error").GetInt64());
    }

    [Fact]
    public async Task Status_and_metrics_show_a_takeover_and_the_upgrade_counts_carried_over()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));
        var engine = admin.Balancer.Engine;

        // What the upgrade does once it has taken the listeners over: the predecessor's counts, then its own success.
        var before = DateTimeOffset.UtcNow;
        engine.CompleteTakeover(4242, predecessorOk: 2, predecessorError: 1);
        var after = DateTimeOffset.UtcNow;

        using var response = await admin.SendAsync(HttpMethod.Get, "/api/status");
        var status = await JsonAsync(response);
        Assert.Equal(Environment.ProcessId, status.GetProperty("pid").GetInt32());
        Assert.Equal(4242, status.GetProperty("parent_pid").GetInt32());
        Assert.InRange(status.GetProperty("took_over_at").GetDateTimeOffset(), before.AddMilliseconds(-1), after.AddMilliseconds(1));
        Assert.Equal(3, status.GetProperty("upgrades").GetProperty("ok").GetInt64());
        Assert.Equal(1, status.GetProperty("upgrades").GetProperty("error").GetInt64());

        var metrics = await admin.ScrapeAsync();
        Assert.Equal(3, metrics.Get("l4lb_upgrades_total", ("result", "ok")));
        Assert.Equal(1, metrics.Get("l4lb_upgrades_total", ("result", "error")));
    }

    [Fact]
    public async Task Reload_answers_the_new_generation_or_every_error()
    {
        await using var a = TestBackend.Echo();
        var ok = new FakeConfigReloader(ReloadResult.Applied(7));
        await using (var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a), ok))
        {
            using var response = await admin.SendAsync(HttpMethod.Post, "/api/reload");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(7, (await JsonAsync(response)).GetProperty("generation").GetInt64());
            Assert.Equal(1, ok.Calls);
        }

        string[] errors = ["balancer.toml:3: unknown key \"bogus\"", "balancer.toml:9: tenant \"x\": no backends"];
        var bad = new FakeConfigReloader(new ReloadResult(false, 1, errors));
        await using (var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a), bad))
        {
            using var response = await admin.SendAsync(HttpMethod.Post, "/api/reload");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            // Exactly this text (issue 17): a config error quotes the file's values, and the default JSON
            // encoder wrote each quote as \u0022.
            Assert.Equal(
                """{"error":"config invalid; the running config is kept","errors":["balancer.toml:3: unknown key \"bogus\"","balancer.toml:9: tenant \"x\": no backends"]}""",
                await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Reload_without_a_config_file_is_503_with_a_reason()
    {
        await using var a = TestBackend.Echo();

        // The harness's default reloader is the host's own, started without a config file (as the demo is).
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));

        using var response = await admin.SendAsync(HttpMethod.Post, "/api/reload");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("not available", (await JsonAsync(response)).GetProperty("error").GetString());
        Assert.Equal(1, admin.Balancer.Engine.Generation);
    }

    [Fact]
    public async Task Reload_is_post_only()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a), new FakeConfigReloader(ReloadResult.Applied(2)));

        using var response = await admin.SendAsync(HttpMethod.Get, "/api/reload");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Healthz_is_503_until_the_listeners_are_bound_and_again_once_they_close()
    {
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted(backend) with
        {
            Admin = new AdminConfig { Listen = new IPEndPoint(IPAddress.Loopback, 0), Token = AdminHarness.Token },
        };
        await using var engine = new BalancerEngine(NullLoggerFactory.Instance, TimeProvider.System);
        await using var admin = new AdminServer(engine, engine, config.Admin, new FakeConfigReloader(ReloadResult.Applied(2)), NullLoggerFactory.Instance, TimeProvider.System);
        await admin.StartAsync(Deadline.After());
        using var http = new HttpClient { BaseAddress = admin.Address };

        using (var before = await http.GetAsync("/healthz", Deadline.After()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Equal("starting", await before.Content.ReadAsStringAsync());
        }

        using (var status = await http.SendAsync(AdminHarness.Authorized(HttpMethod.Get, "/api/status"), Deadline.After()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
        }

        await engine.StartAsync(config);
        using (var serving = await http.GetAsync("/healthz", Deadline.After()))
        {
            Assert.Equal(HttpStatusCode.OK, serving.StatusCode);
        }

        await engine.StopAsync(Deadline.After());
        using (var stopping = await http.GetAsync("/healthz", Deadline.After()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopping.StatusCode);
            Assert.Equal("stopping", await stopping.Content.ReadAsStringAsync());
        }

        await admin.StopAsync(Deadline.After());
    }

    [Fact]
    public async Task A_busy_admin_address_is_a_clear_bind_error()
    {
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        await using var engine = new BalancerEngine(NullLoggerFactory.Instance, TimeProvider.System);
        var config = new AdminConfig { Listen = (IPEndPoint)occupied.LocalEndPoint!, Token = AdminHarness.Token };
        await using var admin = new AdminServer(engine, engine, config, new FakeConfigReloader(ReloadResult.Applied(2)), NullLoggerFactory.Instance, TimeProvider.System);

        var error = await Assert.ThrowsAsync<AdminBindException>(() => admin.StartAsync(Deadline.After()));

        Assert.StartsWith($"admin: cannot bind {config.Listen}: ", error.Message);
        Assert.Contains("in use", error.Message);
    }
}
