using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Runtime;
using L4Balancer.Core.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace L4Balancer.Admin;

/// <summary>
/// The admin endpoint (SPEC "Admin endpoint"): a small Kestrel web app on <c>[admin].listen</c>, run
/// inside the balancer's host as one of its hosted services. It is registered before the engine, so it
/// is up before the listeners bind (<c>/healthz</c> says 503 until they have) and still up while the
/// engine drains on SIGTERM, when an operator most wants to watch it.
/// </summary>
internal sealed class AdminServer : IHostedService, IAdminHandover, IAsyncDisposable
{
    private readonly IBalancerState _engine;
    private readonly IBalancerCommands _commands;
    private readonly AdminConfig _config;
    private readonly IConfigReloader _reloader;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private bool _handedOver;
    private readonly ILogger _logger;
    private readonly long _startTimestamp;
    private readonly DateTimeOffset _startedAt;
    private readonly AdoptedSockets? _adopted;
    private AdminConnectionListenerFactory? _listeners;
    private WebApplication? _app;
    private CancellationTokenSource? _offering;
    private Task _offer = Task.CompletedTask;
    private readonly Lock _stopLock = new();
    private Task? _appStopping;
    private MeterProvider? _meterProvider;

    /// <param name="adopted">Sockets handed over by the process this one replaces (a binary upgrade), or null.</param>
    public AdminServer(IBalancerState engine, IBalancerCommands commands, AdminConfig config, IConfigReloader reloader, ILoggerFactory loggerFactory, TimeProvider timeProvider, AdoptedSockets? adopted = null)
    {
        _adopted = adopted;
        _engine = engine;
        _commands = commands;
        _config = config;
        _reloader = reloader;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger(AdminLog.Category);
        _startTimestamp = timeProvider.GetTimestamp();
        _startedAt = timeProvider.GetUtcNow();
    }

    /// <summary>Where the endpoint listens (the real port when the config said 0), once started.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _meterProvider = BuildMeterProvider();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "l4balancer",
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        // One log stream for the whole process: the admin app logs through the host's factory.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJsonContext.Default);
            o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        builder.WebHost.UseSetting(WebHostDefaults.SuppressStatusMessagesKey, "true"); // we log our own line
        // Our own accept loop instead of Kestrel's socket listener, which spins on EMFILE. Kestrel uses
        // the last IConnectionListenerFactory registered; removing the others leaves no doubt.
        builder.Services.RemoveAll<IConnectionListenerFactory>();
        _listeners = new AdminConnectionListenerFactory(_loggerFactory, _timeProvider, _commands.ReleaseSpareDescriptors, _adopted);
        builder.Services.AddSingleton<IConnectionListenerFactory>(_listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(_config.Listen);
            kestrel.AddServerHeader = false;

            // The descriptor budget reserves this many for the admin endpoint (DescriptorBudget): beyond
            // it Kestrel closes new connections at once instead of taking the proxy's descriptors.
            kestrel.Limits.MaxConcurrentConnections = DescriptorBudget.AdminConnections;

            // Nothing the admin API accepts has a body worth more than this.
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
        });

        var app = builder.Build();

        // After a hand-over this process still holds connections it accepted a moment before (given a
        // grace to be answered, see HandOverAsync) and clients' kept-alive ones. Only /healthz is answered
        // here then; anything else (a drain, a reload, a status that would show this exiting process) is
        // refused with 503 and the connection closed, so the client's retry reaches the new process.
        app.Use(async (context, next) =>
        {
            if (Volatile.Read(ref _handedOver))
            {
                context.Response.Headers.Connection = "close";
                if (!context.Request.Path.StartsWithSegments("/healthz", StringComparison.Ordinal))
                {
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = "0";
                    await context.Response.WriteAsJsonAsync(
                        new AdminError($"process {Environment.ProcessId} has handed the admin endpoint over to its successor; send the request again"),
                        AdminJsonContext.Answers.AdminError).ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });

        var token = new AdminTokenCheck(CurrentTokens);
        AdminEndpoints.Map(app, new AdminEndpoints.Dependencies(_engine, _commands, token, _reloader, _meterProvider, _logger, Status));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // Kestrel reports an address in use as IOException(AddressInUseException), anything else
            // (no such address, no permission) as the SocketException itself.
            await app.DisposeAsync().ConfigureAwait(false);
            throw new AdminBindException(_config.Listen, ex.InnerException ?? ex);
        }

        _app = app;
        Address = new Uri(app.Urls.First());
        AdminLog.Listening(_logger, Address.ToString().TrimEnd('/'));
    }

    /// <summary>
    /// Exports exactly this engine's meter: instruments are matched by instance, not by name, so that
    /// several engines in one process (the tests run many) never show each other's figures.
    /// </summary>
    private MeterProvider BuildMeterProvider()
    {
        var meter = _engine.Meter;
        return Sdk.CreateMeterProviderBuilder()
            .AddMeter(MetricNames.MeterName)
            .AddView(instrument => ReferenceEquals(instrument.Meter, meter) ? null : MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(o =>
            {
                // SPEC names and labels only: no otel_scope_* label on every series, no target_info.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;

                // Each scrape reads the counters afresh; scrapes are rare enough that caching buys nothing.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            })
            .Build();
    }

    /// <summary>The listening socket and the address the config asked for, for a binary upgrade to hand over; null before start.</summary>
    public (Socket Socket, EndPoint Listen)? ListenSocket =>
        _listeners?.Current is { } listener ? (listener.Socket, _config.Listen) : null;

    /// <summary>
    /// A successor has taken the admin socket over: stop accepting admin connections now, leaving the
    /// kernel socket to it. Connections already open finish as the host stops.
    /// </summary>
    public async Task HandOverAsync()
    {
        Volatile.Write(ref _handedOver, true);
        if (_listeners?.Current is { } listener)
        {
            await listener.UnbindAsync().ConfigureAwait(false);
        }

        // Keep-alive connections accepted before the handover would otherwise keep reaching this
        // process: an operator's drain or reload sent on one would change the old process, not the one
        // serving. Kestrel's stop closes them once their requests finish, but it also closes at once a
        // connection accepted a moment before the unbind whose request it has not read yet (the client
        // saw an empty answer: a /healthz poll during an upgrade in CI), so the stop waits a short grace
        // for those first requests. Not awaited, so the caller stops the listeners without waiting on a
        // slow admin client (StopAsync awaits it).
        _ = StopAppAfterGraceAsync();
    }

    /// <summary>Long enough for a request already sent on a just-accepted connection to be read; short beside any drain.</summary>
    private static readonly TimeSpan FirstRequestGrace = TimeSpan.FromSeconds(1);

    private async Task StopAppAfterGraceAsync()
    {
        await Task.Delay(FirstRequestGrace, _timeProvider).ConfigureAwait(false);
        await StopAppAsync().ConfigureAwait(false);
    }

    private Task StopAppAsync()
    {
        lock (_stopLock)
        {
            return _appStopping ??= _app?.StopAsync(CancellationToken.None) ?? Task.CompletedTask;
        }
    }

    /// <summary>
    /// This process is draining after SIGTERM (not an upgrade): keep answering (<c>/healthz</c> says
    /// 503 <c>stopping</c>), but give the admin socket to a new process that asks for it, so a successor
    /// started during the drain does not fail on "address in use" (see <see cref="AdminTakeover"/>).
    /// </summary>
    public void OfferToSuccessor()
    {
        if (!OperatingSystem.IsLinux() || ListenSocket is not { } admin || _offering is not null)
        {
            return;
        }

        _offering = new CancellationTokenSource();
        _offer = AdminTakeover.OfferAsync(admin.Socket, async pid =>
        {
            await HandOverAsync().ConfigureAwait(false);
            AdminLog.HandedToSuccessor(_logger, pid);
        }, _offering.Token);
    }

    /// <summary>The tokens of the config now serving, so a reload can rotate them (the listen address needs a restart).</summary>
    private IReadOnlyList<AdminToken> CurrentTokens() => _engine.CurrentOrNull?.Config.Admin?.Tokens ?? _config.Tokens;

    private AdminStatus? Status() =>
        _engine.CurrentOrNull is { } snapshot ? StatusReport.Build(_engine, snapshot, _startedAt, _timeProvider.GetElapsedTime(_startTimestamp)) : null;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_offering is { } offering)
        {
            await offering.CancelAsync().ConfigureAwait(false);
            await _offer.ConfigureAwait(false);
            offering.Dispose();
        }

        await StopAppAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync().ConfigureAwait(false);
        }

        _meterProvider?.Dispose();
        _meterProvider = null;
    }
}
