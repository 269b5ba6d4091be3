using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// The real executable on a config file, with its admin endpoint and one port listener on ports of their own:
/// for tests of the admin API as an operator's curl meets it (issue 17's scopes and runtime control).
/// </summary>
internal sealed class AdminProcess : IAsyncDisposable
{
    private readonly HttpClient _http;

    private AdminProcess(BalancerProcess process, string path, IPEndPoint admin, IPEndPoint listener)
    {
        Process = process;
        ConfigPath = path;
        Admin = admin;
        Listener = listener;
        _http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public BalancerProcess Process { get; }

    public string ConfigPath { get; }

    public IPEndPoint Admin { get; }

    public IPEndPoint Listener { get; }

    /// <summary>Writes the config (see <see cref="Config"/>) and starts the balancer on it; returns once <c>/healthz</c> says ok.</summary>
    /// <param name="adminTable">The <c>[admin]</c> keys and tables after <c>listen</c>, e.g. <c>token = "x"</c>.</param>
    public static async Task<AdminProcess> StartAsync(string adminTable, IReadOnlyList<(TestBackend Backend, int Weight)> backends, IDictionary<string, string>? environment = null)
    {
        var admin = TestConfigs.ClosedPort();
        var listener = TestConfigs.ClosedPort();
        var path = Path.Combine(Path.GetTempPath(), $"l4b-admin-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, Config(admin, listener, adminTable, backends));
        var process = BalancerProcess.Start(environment, "run", "--config", path);
        var started = new AdminProcess(process, path, admin, listener);
        try
        {
            await Deadline.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"l4balancer exited:\n{process.Transcript()}");
                }

                try
                {
                    using var healthz = await started._http.GetAsync("/healthz");
                    return healthz.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not bound yet
                }
            }, because: "the balancer to start");
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    /// <summary>One tenant <c>t1</c> behind one port listener, least connections, with these backends and weights.</summary>
    public static string Config(IPEndPoint admin, IPEndPoint listener, string adminTable, IReadOnlyList<(TestBackend Backend, int Weight)> backends, string tenantExtra = "") => $"""
        [global]
        drain_timeout = "30s"
        transport = "{TestTransport.ConfigValue}"

        [[listener]]
        name = "main"
        bind = "{listener}"
        route = "port"
        tenant = "t1"

        [[tenant]]
        name = "t1"
        {tenantExtra}
        {string.Concat(backends.Select(b => $"""

            [[tenant.backend]]
            address = "{b.Backend.Address}"
            weight = {b.Weight}

            """))}

        [admin]
        listen = "{admin}"
        {adminTable}
        """;

    public Task RewriteConfigAsync(string adminTable, IReadOnlyList<(TestBackend Backend, int Weight)> backends, string tenantExtra = "") =>
        File.WriteAllTextAsync(ConfigPath, Config(Admin, Listener, adminTable, backends, tenantExtra));

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await _http.SendAsync(request, Deadline.After());
    }

    /// <summary>Sends and returns the status and the body parsed as JSON (null when there is none or it is not JSON).</summary>
    public async Task<(HttpStatusCode Status, JsonElement? Json, string Text)> CallAsync(HttpMethod method, string path, string? token, string? body = null)
    {
        using var response = await SendAsync(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement? json = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
        }

        return (response.StatusCode, json, text);
    }

    /// <summary>Opens a connection through the listener and returns it with the name its backend greeted it with.</summary>
    public async Task<(System.Net.Sockets.Socket Socket, string Name)> ConnectAsync()
    {
        var socket = await SocketExtensions.ConnectToAsync(Listener);
        try
        {
            return (socket, await socket.ReadLineAsync(Deadline.After()));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
        File.Delete(ConfigPath);
    }
}
