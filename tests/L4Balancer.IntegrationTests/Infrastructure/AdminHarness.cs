using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using L4Balancer.Admin;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using L4Balancer.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>An in-process engine (<see cref="BalancerHarness"/>) with the admin endpoint on 127.0.0.1 port 0 in front of it.</summary>
internal sealed class AdminHarness : IAsyncDisposable
{
    /// <summary>The harness's token of scope operate (everything).</summary>
    public const string Token = "test-admin-token-0123456789";

    /// <summary>The harness's token of scope read (status, metrics, the dashboard; 403 on the rest).</summary>
    public const string ReadToken = "test-admin-read-token-9876543210";

    private readonly ConfigReloader? _ownReloader;

    private AdminHarness(BalancerHarness balancer, AdminServer admin, HttpClient http, ConfigReloader? ownReloader)
    {
        Balancer = balancer;
        Admin = admin;
        Http = http;
        _ownReloader = ownReloader;
    }

    public BalancerHarness Balancer { get; }

    public AdminServer Admin { get; }

    /// <summary>A client for the admin endpoint, without credentials; see <see cref="Authorized"/>.</summary>
    public HttpClient Http { get; }

    public Uri BaseAddress => Admin.Address!;

    /// <param name="reloader">Null: the host's own reloader without a config file (as the demo runs), which answers "not available".</param>
    public static async Task<AdminHarness> StartAsync(BalancerConfig config, IConfigReloader? reloader = null)
    {
        config = config with
        {
            Admin = new AdminConfig
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Tokens = [new AdminToken(Token, AdminScope.Operate), new AdminToken(ReadToken, AdminScope.Read)],
            },
        };
        var balancer = await BalancerHarness.StartAsync(config);
        var ownReloader = reloader is null
            ? new ConfigReloader(balancer.Engine, new BalancerServiceOptions(config, ConfigPath: null), new SystemdReloadNotifier(null), Options.Create(new HostOptions()), new L4Balancer.Logging.LogLevelSource(config.Global.LogLevel), NullLogger<ConfigReloader>.Instance)
            : null;
        var admin = new AdminServer(balancer.Engine, balancer.Engine, config.Admin!, reloader ?? ownReloader!, balancer.Loggers, TimeProvider.System);
        try
        {
            await admin.StartAsync(Deadline.After());
        }
        catch
        {
            ownReloader?.Dispose();
            await balancer.DisposeAsync();
            throw;
        }

        var http = new HttpClient { BaseAddress = admin.Address, Timeout = TimeSpan.FromSeconds(30) };
        return new AdminHarness(balancer, admin, http, ownReloader);
    }

    public static HttpRequestMessage Authorized(HttpMethod method, string path, string token = Token) =>
        new(method, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = Token)
    {
        using var request = token is null ? new HttpRequestMessage(method, path) : Authorized(method, path, token);
        return await Http.SendAsync(request, Deadline.After());
    }

    public async Task<string> GetStringAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public async Task<PrometheusText> ScrapeAsync() => new(await GetStringAsync("/metrics"));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Admin.StopAsync(Deadline.After());
        await Admin.DisposeAsync();
        _ownReloader?.Dispose();
        await Balancer.DisposeAsync();
    }
}
