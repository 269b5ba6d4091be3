using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>SPEC "Admin endpoint": every route but /healthz needs the bearer token; without it, 401 and nothing else.</summary>
public sealed class AdminAuthTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private AdminHarness _admin = null!;

    public async Task InitializeAsync()
    {
        _backend = TestBackend.Echo();
        _admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(_backend));
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private string DrainPath => $"/api/tenants/{TestConfigs.TenantName}/backends/{Uri.EscapeDataString(_backend.Address)}/drain";

    public static TheoryData<string> WrongTokens => new()
    {
        "",
        "wrong",
        AdminHarness.Token[..^1] + (char)(AdminHarness.Token[^1] + 1), // differs in the last byte only
        AdminHarness.Token[..^1],                                       // a prefix
        AdminHarness.Token + "x",                                       // one byte longer
        AdminHarness.Token.ToUpperInvariant(),
    };

    private async Task AssertUnauthorizedAsync(HttpRequestMessage request)
    {
        using var response = await _admin.Http.SendAsync(request, Deadline.After());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    private IEnumerable<(HttpMethod Method, string Path)> ProtectedRoutes =>
    [
        (HttpMethod.Get, "/api/status"),
        (HttpMethod.Get, "/metrics"),
        (HttpMethod.Post, "/api/reload"),
        (HttpMethod.Post, DrainPath),
        (HttpMethod.Post, DrainPath.Replace("/drain", "/undrain")),
        (HttpMethod.Get, "/no/such/route"), // an unknown route does not tell a stranger it is unknown
    ];

    [Fact]
    public async Task No_token_gets_401_on_every_protected_route()
    {
        foreach (var (method, path) in ProtectedRoutes)
        {
            await AssertUnauthorizedAsync(new HttpRequestMessage(method, path));
        }
    }

    [Theory]
    [MemberData(nameof(WrongTokens))]
    public async Task A_wrong_token_gets_401_on_every_protected_route(string token)
    {
        foreach (var (method, path) in ProtectedRoutes)
        {
            await AssertUnauthorizedAsync(AdminHarness.Authorized(method, path, token));
        }

        // Nothing happened behind the 401s.
        Assert.False(_admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single().IsDraining);
    }

    [Fact]
    public async Task The_right_token_in_another_scheme_gets_401()
    {
        var basic = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("admin:" + AdminHarness.Token)));
        await AssertUnauthorizedAsync(basic);

        var bare = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        bare.Headers.TryAddWithoutValidation("Authorization", AdminHarness.Token);
        await AssertUnauthorizedAsync(bare);
    }

    [Fact]
    public async Task The_right_token_gets_200()
    {
        foreach (var path in new[] { "/api/status", "/metrics" })
        {
            using var response = await _admin.SendAsync(HttpMethod.Get, path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var drain = await _admin.SendAsync(HttpMethod.Post, DrainPath);
        Assert.Equal(HttpStatusCode.OK, drain.StatusCode);

        // The scheme name is case-insensitive (RFC 9110).
        using var lower = new HttpRequestMessage(HttpMethod.Get, "/api/status");
        lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + AdminHarness.Token);
        using var lowerResponse = await _admin.Http.SendAsync(lower, Deadline.After());
        Assert.Equal(HttpStatusCode.OK, lowerResponse.StatusCode);
    }

    [Fact]
    public async Task Healthz_is_open()
    {
        using var response = await _admin.SendAsync(HttpMethod.Get, "/healthz", token: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_dashboard_page_is_open_but_carries_no_data_and_loads_nothing_from_elsewhere()
    {
        using var response = await _admin.SendAsync(HttpMethod.Get, "/", token: null);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("api/status", html);
        Assert.DoesNotContain(_backend.Address, html);
        Assert.DoesNotContain(AdminHarness.Token, html);

        // Self-contained: no external script, style, font or image, and the browser is told to allow none.
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("src=", html);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("connect-src 'self'", policy);
    }
}
