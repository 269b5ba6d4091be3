using L4Balancer.Core.Config;
using L4Balancer.Core.Net;
using L4Balancer.Core.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace L4Balancer.Admin;

/// <summary>
/// The admin routes, SPEC's table and issue 17's, behind one bearer-token gate: a route marked
/// <see cref="RequiresScope"/> read answers any valid token, every other route an operate token only.
/// </summary>
internal static class AdminEndpoints
{
    /// <summary>Sent with every answer to a valid token: its scope, so the dashboard can leave out what it cannot do.</summary>
    public const string ScopeHeader = "L4B-Token-Scope";

    private static readonly RequiresScope Read = new(AdminScope.Read);

    public sealed record Dependencies(
        IBalancerState State,
        IBalancerCommands Commands,
        AdminTokenCheck Token,
        IConfigReloader Reloader,
        MeterProvider MeterProvider,
        ILogger Logger,
        Func<AdminStatus?> Status);

    public static void Map(WebApplication app, Dependencies deps)
    {
        app.Use(async (context, next) =>
        {
            if (IsOpen(context.Request))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            if (deps.Token.Authorize(context.Request.Headers.Authorization) is not { } scope)
            {
                // 401 and nothing else (SPEC): no body, no hint which part was wrong. The challenge header
                // is what RFC 9110 requires of a 401, and names only the scheme.
                AdminLog.Unauthorized(deps.Logger, context.Request.Method, context.Request.Path, Remote(context));
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }

            context.Response.Headers[ScopeHeader] = ScopeName(scope);

            // Routing has run (WebApplication puts it first): the endpoint says what it needs. No endpoint is
            // an unknown path, answered 404 to any valid token; an endpoint without the metadata (a route
            // added without thinking of scopes, or routing's own 405) needs operate.
            if (context.GetEndpoint() is { } endpoint
                && (endpoint.Metadata.GetMetadata<RequiresScope>()?.Scope ?? AdminScope.Operate) is var needed
                && scope < needed)
            {
                // 403, not 401 (issue 17): the token is valid, so asking for another would not help.
                AdminLog.Forbidden(deps.Logger, context.Request.Method, context.Request.Path, Remote(context), ScopeName(scope), ScopeName(needed));
                await Results.Json(
                        new AdminError($"this token's scope is \"{ScopeName(scope)}\"; {context.Request.Method} {context.Request.Path} needs \"{ScopeName(needed)}\""),
                        AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status403Forbidden)
                    .ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });

        app.MapGet("/healthz", () => deps.State.IsAccepting
            ? Results.Text("ok", "text/plain; charset=utf-8")
            : Results.Text(deps.State.CurrentOrNull is null ? "starting" : "stopping", "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable));

        app.MapPrometheusScrapingEndpoint("/metrics", deps.MeterProvider, configureBranchedPipeline: null, optionsName: null)
            .WithMetadata(Read);

        app.MapGet("/api/status", () => deps.Status() is { } status
            ? Results.Json(status, AdminJsonContext.Answers.AdminStatus)
            : Starting())
            .WithMetadata(Read);

        app.MapGet("/api/tenants/{tenant}", (string tenant) =>
            deps.State.CurrentOrNull is not { } snapshot ? Starting()
            : snapshot.Tenants.GetValueOrDefault(tenant) is { } state
                ? Results.Json(StatusReport.Tenant(deps.State, state), AdminJsonContext.Answers.TenantDetail)
                : NoSuchTenant(snapshot, tenant))
            .WithMetadata(Read);

        app.MapPost("/api/reload", async (HttpContext context) =>
        {
            AdminLog.ReloadRequested(deps.Logger, Remote(context));

            // Not the request's token: a client that hangs up must not leave a reload half done.
            var result = await deps.Reloader.ReloadAsync(CancellationToken.None).ConfigureAwait(false);
            if (result.Unavailable)
            {
                return Results.Json(
                    new AdminError("config reload is not available in this process: it has no config file (the demo runs on its embedded config)"),
                    AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return result.Succeeded
                ? Results.Json(new ReloadResponse(result.Generation), AdminJsonContext.Answers.ReloadResponse)
                : Results.Json(new AdminError("config invalid; the running config is kept", result.Errors),
                    AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status400BadRequest);
        });

        app.MapPost("/api/tenants/{tenant}/backends/{address}/drain",
            (string tenant, string address, HttpContext context) => SetDraining(deps, tenant, address, draining: true, context));
        app.MapPost("/api/tenants/{tenant}/backends/{address}/undrain",
            (string tenant, string address, HttpContext context) => SetDraining(deps, tenant, address, draining: false, context));
        app.MapPost("/api/tenants/{tenant}/backends/{address}/weight",
            (string tenant, string address, HttpContext context) => SetWeightAsync(deps, tenant, address, context));

        app.MapGet("/", () => Results.Text(Dashboard.Html, "text/html; charset=utf-8"))
            .AddEndpointFilter(async (context, next) =>
            {
                Dashboard.AddHeaders(context.HttpContext.Response.Headers);
                return await next(context).ConfigureAwait(false);
            });
    }

    /// <summary>
    /// <c>/healthz</c> is open (SPEC). So is the dashboard page itself: a browser cannot attach a bearer
    /// header to a navigation, and the page is a static shell that shows nothing until its own requests,
    /// which carry the token, return data.
    /// </summary>
    private static bool IsOpen(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path == "/healthz" || request.Path == "/");

    /// <summary>The engine drains (and logs the change); this answers the operator and keeps the audit line of who asked.</summary>
    private static IResult SetDraining(Dependencies deps, string tenant, string address, bool draining, HttpContext context)
    {
        var result = deps.Commands.SetDraining(tenant, address, draining);
        if (Refusal(deps, result, tenant, address) is { } refusal)
        {
            return refusal;
        }

        var backend = result.Backend!;
        AdminLog.BackendDrainChanged(deps.Logger, tenant, backend.Address, draining ? "drained" : "undrained", Remote(context));
        return BackendAnswer(deps, tenant, backend);
    }

    /// <summary><c>{"weight": N}</c>: the body is checked before the backend is looked up, so a bad body is a 400 whatever the path.</summary>
    private static async Task<IResult> SetWeightAsync(Dependencies deps, string tenant, string address, HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        var (weight, error) = WeightRequest.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        if (weight is not { } value)
        {
            return Results.Json(new AdminError(error!), AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status400BadRequest);
        }

        var result = deps.Commands.SetWeight(tenant, address, value);
        if (Refusal(deps, result, tenant, address) is { } refusal)
        {
            return refusal;
        }

        var backend = result.Backend!;
        AdminLog.BackendWeightChanged(deps.Logger, tenant, backend.Address, value, Remote(context));
        return BackendAnswer(deps, tenant, backend);
    }

    private static IResult BackendAnswer(Dependencies deps, string tenant, Core.Balancing.BackendState backend)
    {
        var feedback = deps.State.CurrentOrNull?.Tenants.GetValueOrDefault(tenant)?.Config.Feedback;
        return Results.Json(StatusReport.Backend(backend, feedback, deps.State.TimeProvider), AdminJsonContext.Answers.BackendStatus);
    }

    /// <summary>
    /// Why a backend command did nothing, as an answer; null when it applied. The 404s name what exists:
    /// the address in the path is matched as written in the config (or as resolved), encoded or not, so the
    /// likely mistake is the address itself, not its encoding (issue 17: the old message said to URL-encode
    /// an address that works as it is).
    /// </summary>
    private static IResult? Refusal(Dependencies deps, DrainResult result, string tenant, string address)
    {
        var snapshot = deps.State.CurrentOrNull;
        return result.Status switch
        {
            DrainStatus.NotStarted => Starting(),
            DrainStatus.NoSuchTenant => NoSuchTenant(snapshot, tenant),
            DrainStatus.NoSuchBackend => NotFound(
                snapshot?.Tenants.GetValueOrDefault(tenant) is { Backends.Count: > 0 } state
                    ? $"tenant \"{tenant}\" has no backend \"{address}\"; its backends: {string.Join(", ", state.Backends.Select(b => b.Address))}"
                    : $"tenant \"{tenant}\" has no backend \"{address}\"; it has no backends"),
            _ => null,
        };
    }

    private static IResult NoSuchTenant(Core.Routing.RuntimeSnapshot? snapshot, string tenant) =>
        NotFound(snapshot is { Tenants.Count: > 0 }
            ? $"no tenant \"{tenant}\"; tenants: {string.Join(", ", snapshot.Tenants.Keys.Order(StringComparer.Ordinal))}"
            : $"no tenant \"{tenant}\"");

    private static string ScopeName(AdminScope scope) => scope == AdminScope.Read ? "read" : "operate";

    private static IResult NotFound(string message) =>
        Results.Json(new AdminError(message), AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status404NotFound);

    private static IResult Starting() =>
        Results.Json(new AdminError("starting: the balancer has not loaded its config yet"), AdminJsonContext.Answers.AdminError,
            statusCode: StatusCodes.Status503ServiceUnavailable);

    private static string Remote(HttpContext context) =>
        EndPointText.Format(context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort) : null);
}
