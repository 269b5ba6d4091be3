using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// Issue 17 item 8 on the real executable: <c>POST …/backends/{address}/weight</c> (its effect on where new
/// connections go, counted; how long it holds; the bodies it refuses), <c>GET /api/tenants/{tenant}</c>, and
/// the 404s naming what exists.
/// </summary>
public sealed class BackendWeightTests : IAsyncLifetime
{
    private readonly string _token = "operate-" + Guid.NewGuid().ToString("N");
    private TestBackend _a = null!;
    private TestBackend _b = null!;

    public Task InitializeAsync()
    {
        _a = TestBackend.Named("a");
        _b = TestBackend.Named("b");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private string AdminTable => $"token = \"{_token}\"";

    private string WeightPath(TestBackend backend) => $"/api/tenants/t1/backends/{backend.Address}/weight";

    private async Task<JsonElement> SetWeightAsync(AdminProcess balancer, TestBackend backend, int weight)
    {
        var (status, json, text) = await balancer.CallAsync(HttpMethod.Post, WeightPath(backend), _token, $$"""{"weight": {{weight}}}""");
        Assert.True(status == HttpStatusCode.OK, text);
        return json!.Value;
    }

    private async Task<JsonElement> BackendAsync(AdminProcess balancer, TestBackend backend)
    {
        var (status, json, text) = await balancer.CallAsync(HttpMethod.Get, "/api/tenants/t1", _token);
        Assert.True(status == HttpStatusCode.OK, text);
        return json!.Value.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("address").GetString() == backend.Address);
    }

    /// <summary>Opens <paramref name="count"/> connections, each held open, and counts them by the backend that greeted them.</summary>
    private static async Task<Dictionary<string, int>> HoldAsync(AdminProcess balancer, int count, List<Socket> held)
    {
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 };
        for (var i = 0; i < count; i++)
        {
            var (socket, name) = await balancer.ConnectAsync();
            held.Add(socket);
            counts[name]++;
        }

        return counts;
    }

    private async Task CloseAllAsync(List<Socket> held)
    {
        held.ForEach(s => s.Dispose());
        held.Clear();
        await Deadline.UntilAsync(() => _a.Active == 0 && _b.Active == 0, because: "the held connections to close");
    }

    [Fact]
    public async Task Weight_zero_takes_a_backend_out_and_a_higher_weight_takes_more_new_connections()
    {
        await using var balancer = await AdminProcess.StartAsync(AdminTable, [(_a, 1), (_b, 1)]);
        var held = new List<Socket>();
        try
        {
            // Equal weights, connections held open: least connections splits them evenly.
            Assert.Equal(new Dictionary<string, int> { ["a"] = 5, ["b"] = 5 }, await HoldAsync(balancer, 10, held));
            await CloseAllAsync(held);

            // b at weight 0: no new connection reaches it (and the status says who took it out).
            var zero = await SetWeightAsync(balancer, _b, 0);
            Assert.Equal(0, zero.GetProperty("weight_override").GetInt32());
            Assert.Equal(0, zero.GetProperty("effective_weight").GetInt32());
            Assert.Equal(1, zero.GetProperty("weight").GetInt32());
            Assert.Equal(["weight"], zero.GetProperty("drained_by").EnumerateArray().Select(e => e.GetString()));
            var totalB = _b.Total;
            Assert.Equal(new Dictionary<string, int> { ["a"] = 10, ["b"] = 0 }, await HoldAsync(balancer, 10, held));
            Assert.Equal(totalB, _b.Total);
            await CloseAllAsync(held);

            // b at weight 4 against a's 1: of 10 held connections b takes 8 (active/weight stays level: 2/1 = 8/4).
            Assert.Equal(4, (await SetWeightAsync(balancer, _b, 4)).GetProperty("effective_weight").GetInt32());
            Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 8 }, await HoldAsync(balancer, 10, held));
            await CloseAllAsync(held);

            // Logged by the engine (what changed) and by the admin endpoint (who asked).
            await balancer.Process.WaitForLineAsync($@"tenant t1: backend {_b.Address} weight set to 4 \(was 0, configured 1\)");
            await balancer.Process.WaitForLineAsync($@"admin: backend {_b.Address} of tenant t1 weight set to 4 by 127\.0\.0\.1:\d+");

            // The configured weight clears the override.
            var back = await SetWeightAsync(balancer, _b, 1);
            Assert.Equal(JsonValueKind.Null, back.GetProperty("weight_override").ValueKind);
            Assert.Equal(new Dictionary<string, int> { ["a"] = 5, ["b"] = 5 }, await HoldAsync(balancer, 10, held));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task The_weight_holds_across_a_reload_that_keeps_the_configured_weight_and_goes_at_one_that_changes_it()
    {
        await using var balancer = await AdminProcess.StartAsync(AdminTable, [(_a, 1), (_b, 2)]);
        await SetWeightAsync(balancer, _a, 5);
        await SetWeightAsync(balancer, _b, 7);

        // A reload that changes other things (a tenant limit) but neither weight: both kept.
        await balancer.RewriteConfigAsync(AdminTable, [(_a, 1), (_b, 2)], tenantExtra: "max_connections = 100");
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, "/api/reload", _token)).Status);
        Assert.Equal(5, (await BackendAsync(balancer, _a)).GetProperty("effective_weight").GetInt32());
        Assert.Equal(7, (await BackendAsync(balancer, _b)).GetProperty("weight_override").GetInt32());

        // A reload that changes b's configured weight: b's override goes, a's stays.
        await balancer.RewriteConfigAsync(AdminTable, [(_a, 1), (_b, 3)], tenantExtra: "max_connections = 100");
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, "/api/reload", _token)).Status);
        var b = await BackendAsync(balancer, _b);
        Assert.Equal(JsonValueKind.Null, b.GetProperty("weight_override").ValueKind);
        Assert.Equal(3, b.GetProperty("weight").GetInt32());
        Assert.Equal(3, b.GetProperty("effective_weight").GetInt32());
        Assert.Equal(5, (await BackendAsync(balancer, _a)).GetProperty("weight_override").GetInt32());
        await balancer.Process.WaitForLineAsync($@"tenant t1: backend {_b.Address} weight 7 set through the admin API cleared: the reload changed its configured weight from 2 to 3");
        Assert.Empty(balancer.Process.Matches($@"backend {_a.Address} weight \d+ set through the admin API cleared"));
    }

    public static TheoryData<string?, string> BadBodies => new()
    {
        { null, "no body: the body must be JSON {\"weight\": N}, N an integer from 0 to 2147483647" },
        { "", "no body: the body must be JSON {\"weight\": N}, N an integer from 0 to 2147483647" },
        { "weight=3", "the body is not JSON (" },
        { "3", "the body is a number, not an object: " },
        { "{}", "\"weight\" is missing: " },
        { """{"wieght": 3}""", "unknown key \"wieght\": " },
        { """{"weight": 3, "drain": true}""", "unknown key \"drain\": " },
        { """{"weight": -1}""", "\"weight\" must be 0 or more (got -1); 0 takes the backend out of rotation" },
        { """{"weight": 1.5}""", "\"weight\" must be an integer (got 1.5)" },
        { """{"weight": 2.0}""", "\"weight\" must be an integer (got 2.0)" },
        { """{"weight": 1e3}""", "\"weight\" must be an integer (got 1e3)" },
        { """{"weight": "3"}""", "\"weight\" must be an integer, not a string" },
        { """{"weight": null}""", "\"weight\" must be an integer, not null" },
        { """{"weight": 2147483648}""", "\"weight\" must be at most 2147483647 (got 2147483648)" },
        { """{"weight": 99999999999999999999999}""", "\"weight\" must be at most 2147483647 (got 99999999999999999999999)" },
    };

    [Fact]
    public async Task Bad_bodies_are_400_with_the_reason_and_change_nothing()
    {
        await using var balancer = await AdminProcess.StartAsync(AdminTable, [(_a, 1), (_b, 1)]);
        foreach (var row in BadBodies)
        {
            var (body, error) = ((string?)row[0], (string)row[1]);
            var (status, json, text) = await balancer.CallAsync(HttpMethod.Post, WeightPath(_a), _token, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"body {body ?? "(none)"}: {(int)status} {text}");
            Assert.StartsWith(error, json!.Value.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        // The largest accepted: any configured weight can be set back through the route.
        Assert.Equal(int.MaxValue, (await SetWeightAsync(balancer, _b, int.MaxValue)).GetProperty("effective_weight").GetInt32());
        Assert.Equal(JsonValueKind.Null, (await BackendAsync(balancer, _a)).GetProperty("weight_override").ValueKind);
    }

    [Fact]
    public async Task Unknown_tenant_or_backend_is_404_naming_what_exists_and_an_unencoded_address_works()
    {
        await using var balancer = await AdminProcess.StartAsync(AdminTable, [(_a, 1), (_b, 1)]);
        var backends = string.Join(", ", new[] { _a.Address, _b.Address });
        foreach (var action in new[] { "drain", "undrain", "weight" })
        {
            var body = action == "weight" ? """{"weight": 2}""" : null;

            var (noTenant, json, _) = await balancer.CallAsync(HttpMethod.Post, $"/api/tenants/nobody/backends/{_a.Address}/{action}", _token, body);
            Assert.Equal(HttpStatusCode.NotFound, noTenant);
            Assert.Equal("no tenant \"nobody\"; tenants: t1", json!.Value.GetProperty("error").GetString());

            var (noBackend, json2, _) = await balancer.CallAsync(HttpMethod.Post, $"/api/tenants/t1/backends/127.0.0.1:1/{action}", _token, body);
            Assert.Equal(HttpStatusCode.NotFound, noBackend);
            var message = json2!.Value.GetProperty("error").GetString()!;
            Assert.Equal($"tenant \"t1\" has no backend \"127.0.0.1:1\"; its backends: {backends}", message);
            Assert.DoesNotContain("encode", message, StringComparison.OrdinalIgnoreCase);

            // The address as written, unencoded, and URL-encoded: both find the backend.
            Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, $"/api/tenants/t1/backends/{_a.Address}/{action}", _token, body)).Status);
            Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, $"/api/tenants/t1/backends/{Uri.EscapeDataString(_a.Address)}/{action}", _token, body)).Status);
        }

        var (unknown, tenantJson, _) = await balancer.CallAsync(HttpMethod.Get, "/api/tenants/nobody", _token);
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("no tenant \"nobody\"; tenants: t1", tenantJson!.Value.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_tenant_route_has_its_figures_limits_and_backends()
    {
        await using var balancer = await AdminProcess.StartAsync(AdminTable, [(_a, 1), (_b, 3)]);
        await SetWeightAsync(balancer, _a, 2);
        await balancer.RewriteConfigAsync(AdminTable, [(_a, 1), (_b, 3)], tenantExtra: "max_connections = 50\nconnection_rate = 20\nbandwidth = \"1MB/s\"");
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, "/api/reload", _token)).Status);
        var held = new List<Socket>();
        try
        {
            var counts = await HoldAsync(balancer, 3, held);

            var (status, json, text) = await balancer.CallAsync(HttpMethod.Get, "/api/tenants/t1", _token);
            Assert.True(status == HttpStatusCode.OK, text);
            var tenant = json!.Value;
            Assert.Equal("t1", tenant.GetProperty("name").GetString());
            Assert.Equal("least_connections", tenant.GetProperty("balance").GetString());
            Assert.Equal(3, tenant.GetProperty("active").GetInt64());
            Assert.Equal(3, tenant.GetProperty("total").GetInt64());
            Assert.Equal(0, tenant.GetProperty("rejections").GetProperty("no_backend").GetInt64());
            Assert.True(tenant.GetProperty("bytes").GetProperty("backend_to_client").GetInt64() >= 6); // two greetings of "a\n"/"b\n" at least
            Assert.Equal(0, tenant.GetProperty("queued").GetInt32());
            Assert.Empty(tenant.GetProperty("sni").EnumerateArray());
            Assert.Equal(50, tenant.GetProperty("max_connections").GetInt32());
            Assert.Equal(20, tenant.GetProperty("connection_rate").GetInt32());
            Assert.Equal(20, tenant.GetProperty("connection_burst").GetInt32()); // the default: the rate
            Assert.Equal(1_000_000, tenant.GetProperty("bandwidth").GetInt64());

            var backends = tenant.GetProperty("backends").EnumerateArray().ToList();
            Assert.Equal([_a.Address, _b.Address], backends.Select(b => b.GetProperty("address").GetString()));
            Assert.Equal([2, 3], backends.Select(b => b.GetProperty("effective_weight").GetInt32()));
            Assert.Equal([counts["a"], counts["b"]], backends.Select(b => b.GetProperty("active").GetInt32()));

            // The same figures as the status's, for that tenant.
            var statusJson = (await balancer.CallAsync(HttpMethod.Get, "/api/status", _token)).Json!.Value;
            var fromStatus = statusJson.GetProperty("tenants").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "t1");
            Assert.Equal(fromStatus.GetProperty("total").GetInt64(), tenant.GetProperty("total").GetInt64());
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }
}
