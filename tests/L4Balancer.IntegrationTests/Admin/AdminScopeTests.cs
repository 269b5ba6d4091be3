using System.Net;
using System.Net.Http;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// Issue 17 item 2 on the real executable: <c>[[admin.token]]</c> entries with scope read or operate, tokens
/// from <c>env:</c> and <c>file:</c>, the single <c>token</c> key meaning operate, 403 (not 401) for a valid
/// token without the scope, and a reload that changes the tokens.
/// </summary>
public sealed class AdminScopeTests : IAsyncLifetime
{
    private readonly string _readVariable = "L4B_TEST_READ_TOKEN_" + Guid.NewGuid().ToString("N");
    private readonly string _readToken = "read-" + Guid.NewGuid().ToString("N");
    private readonly string _operateToken = "operate-" + Guid.NewGuid().ToString("N");
    private readonly string _operateFile = Path.Combine(Path.GetTempPath(), $"l4b-operate-token-{Guid.NewGuid():N}");
    private TestBackend _a = null!;
    private TestBackend _b = null!;

    public async Task InitializeAsync()
    {
        _a = TestBackend.Named("a");
        _b = TestBackend.Named("b");
        await File.WriteAllTextAsync(_operateFile, _operateToken + "\n");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        File.Delete(_operateFile);
    }

    private (TestBackend, int)[] Backends => [(_a, 1), (_b, 1)];

    private string ScopedTokens => $"""

        [[admin.token]]
        token = "env:{_readVariable}"
        scope = "read"

        [[admin.token]]
        token = "file:{_operateFile}"
        scope = "operate"
        """;

    private Task<AdminProcess> StartScopedAsync() =>
        AdminProcess.StartAsync(ScopedTokens, Backends, new Dictionary<string, string> { [_readVariable] = _readToken });

    private string Backend(string action) => $"/api/tenants/t1/backends/{_a.Address}/{action}";

    private IEnumerable<(HttpMethod Method, string Path)> ReadRoutes =>
    [
        (HttpMethod.Get, "/api/status"),
        (HttpMethod.Get, "/metrics"),
        (HttpMethod.Get, "/api/tenants/t1"),
    ];

    // Reload last: the others are checked against the config that started.
    private IEnumerable<(HttpMethod Method, string Path, string? Body)> OperateRoutes =>
    [
        (HttpMethod.Post, Backend("drain"), null),
        (HttpMethod.Post, Backend("undrain"), null),
        (HttpMethod.Post, Backend("weight"), """{"weight": 3}"""),
        (HttpMethod.Post, "/api/reload", null),
    ];

    [Fact]
    public async Task No_token_gets_401_on_every_route_a_read_token_reads_and_gets_403_on_every_operate_route_an_operate_token_does_all()
    {
        await using var balancer = await StartScopedAsync();

        // No token, or a wrong one: 401 and an empty body, on every route of either scope.
        foreach (var token in new string?[] { null, "wrong", _readToken + "x" })
        {
            foreach (var (method, path) in ReadRoutes.Concat(OperateRoutes.Select(r => (r.Method, r.Path))))
            {
                var (status, _, text) = await balancer.CallAsync(method, path, token);
                Assert.True(status == HttpStatusCode.Unauthorized, $"{method} {path} with {(token is null ? "no token" : "a wrong token")}: {(int)status} {text}");
                Assert.Equal("", text);
            }
        }

        // The read token (from env:): every read route answers, and says the scope.
        foreach (var (method, path) in ReadRoutes)
        {
            using var response = await balancer.SendAsync(method, path, _readToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path} with the read token: {(int)response.StatusCode}");
            Assert.Equal("read", response.Headers.GetValues("L4B-Token-Scope").Single());
        }

        // ... and every operate route is 403 with a reason, and changes nothing.
        foreach (var (method, path, body) in OperateRoutes)
        {
            var (status, json, text) = await balancer.CallAsync(method, path, _readToken, body);
            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path} with the read token: {(int)status} {text}");
            Assert.Equal($"this token's scope is \"read\"; {method} {path} needs \"operate\"", json!.Value.GetProperty("error").GetString());
        }

        var backend = await BackendStatusAsync(balancer, _readToken);
        Assert.False(backend.GetProperty("draining").GetBoolean());
        Assert.Equal(1, backend.GetProperty("effective_weight").GetInt32());
        Assert.Equal(0, (await balancer.CallAsync(HttpMethod.Get, "/api/status", _readToken)).Json!.Value.GetProperty("reloads").GetProperty("ok").GetInt32());
        Assert.Equal(4, balancer.Process.Matches(@"admin: refused POST /api/\S+ from 127\.0\.0\.1:\d+: the token's scope is read, the route needs operate").Count);

        // The operate token (from file:): everything.
        foreach (var (method, path) in ReadRoutes)
        {
            Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(method, path, _operateToken)).Status);
        }

        foreach (var (method, path, body) in OperateRoutes)
        {
            var (status, _, text) = await balancer.CallAsync(method, path, _operateToken, body);
            Assert.True(status == HttpStatusCode.OK, $"{method} {path} with the operate token: {(int)status} {text}");
        }

        Assert.Equal(3, (await BackendStatusAsync(balancer, _operateToken)).GetProperty("effective_weight").GetInt32());

        // An unknown path is 404 to a valid token (of either scope), 401 to anyone else.
        Assert.Equal(HttpStatusCode.NotFound, (await balancer.CallAsync(HttpMethod.Get, "/no/such/route", _readToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Get, "/no/such/route", null)).Status);
    }

    [Fact]
    public async Task The_single_token_key_means_operate()
    {
        var token = "legacy-" + Guid.NewGuid().ToString("N");
        await using var balancer = await AdminProcess.StartAsync($"token = \"{token}\"", Backends);

        foreach (var (method, path) in ReadRoutes)
        {
            using var response = await balancer.SendAsync(method, path, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("operate", response.Headers.GetValues("L4B-Token-Scope").Single());
        }

        foreach (var (method, path, body) in OperateRoutes)
        {
            var (status, _, text) = await balancer.CallAsync(method, path, token, body);
            Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {text}");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Get, "/api/status", null)).Status);
    }

    [Fact]
    public async Task A_reload_that_changes_the_tokens_refuses_the_old_ones_at_once()
    {
        await using var balancer = await StartScopedAsync();
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Get, "/api/status", _readToken)).Status);

        // The file's token is rotated, and the read token moves from env: to a new literal.
        var newRead = "read-" + Guid.NewGuid().ToString("N");
        var newOperate = "operate-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(_operateFile, newOperate);
        await balancer.RewriteConfigAsync($"""

            [[admin.token]]
            token = "{newRead}"
            scope = "read"

            [[admin.token]]
            token = "file:{_operateFile}"
            scope = "operate"
            """, Backends);

        // The old operate token still holds until the reload it asks for has applied.
        var (reloaded, _, text) = await balancer.CallAsync(HttpMethod.Post, "/api/reload", _operateToken);
        Assert.True(reloaded == HttpStatusCode.OK, text);

        foreach (var old in new[] { _readToken, _operateToken })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Get, "/api/status", old)).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Post, Backend("drain"), old)).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Get, "/api/status", newRead)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await balancer.CallAsync(HttpMethod.Post, Backend("drain"), newRead)).Status);
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, Backend("drain"), newOperate)).Status);

        // A reload from the file by SIGHUP changes them the same way: back to a single operate token.
        var single = "single-" + Guid.NewGuid().ToString("N");
        await balancer.RewriteConfigAsync($"token = \"{single}\"", Backends);
        balancer.Process.Signal(BalancerProcess.SIGHUP);
        await balancer.Process.WaitForLineAsync("config generation 3 applied");
        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Get, "/api/status", newRead)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await balancer.CallAsync(HttpMethod.Get, "/api/status", newOperate)).Status);
        Assert.Equal(HttpStatusCode.OK, (await balancer.CallAsync(HttpMethod.Post, Backend("undrain"), single)).Status);
    }

    private async Task<System.Text.Json.JsonElement> BackendStatusAsync(AdminProcess balancer, string token)
    {
        var (status, json, text) = await balancer.CallAsync(HttpMethod.Get, "/api/tenants/t1", token);
        Assert.True(status == HttpStatusCode.OK, text);
        return json!.Value.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("address").GetString() == _a.Address);
    }
}
