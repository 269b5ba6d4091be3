using L4Balancer.Core.Net;
using L4Balancer.Core.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace L4Balancer.Admin;

/// <summary>The admin routes, exactly SPEC's table, behind one bearer-token gate.</summary>
internal static class AdminEndpoints
{
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
            if (IsOpen(context.Request) || deps.Token.IsAuthorized(context.Request.Headers.Authorization))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            // 401 and nothing else (SPEC): no body, no hint which part was wrong. The challenge header
            // is what RFC 9110 requires of a 401, and names only the scheme.
            AdminLog.Unauthorized(deps.Logger, context.Request.Method, context.Request.Path, Remote(context));
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
        });

        app.MapGet("/healthz", () => deps.State.IsAccepting
            ? Results.Text("ok", "text/plain; charset=utf-8")
            : Results.Text(deps.State.CurrentOrNull is null ? "starting" : "stopping", "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable));

        app.MapPrometheusScrapingEndpoint("/metrics", deps.MeterProvider, configureBranchedPipeline: null, optionsName: null);

        app.MapGet("/api/status", () => deps.Status() is { } status
            ? Results.Json(status, AdminJsonContext.Answers.AdminStatus)
            : Starting());

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
        switch (result.Status)
        {
            case DrainStatus.NotStarted:
                return Starting();
            case DrainStatus.NoSuchTenant:
                return NotFound($"no tenant \"{tenant}\"");
            case DrainStatus.NoSuchBackend:
                return NotFound($"tenant \"{tenant}\" has no backend \"{address}\" (URL-encode the address: 127.0.0.1%3A8080)");
        }

        var backend = result.Backend!;
        AdminLog.BackendDrainChanged(deps.Logger, tenant, backend.Address, draining ? "drained" : "undrained", Remote(context));
        var feedback = deps.State.CurrentOrNull?.Tenants.GetValueOrDefault(tenant)?.Config.Feedback;
        return Results.Json(StatusReport.Backend(backend, feedback, deps.State.TimeProvider), AdminJsonContext.Answers.BackendStatus);
    }

    private static IResult NotFound(string message) =>
        Results.Json(new AdminError(message), AdminJsonContext.Answers.AdminError, statusCode: StatusCodes.Status404NotFound);

    private static IResult Starting() =>
        Results.Json(new AdminError("starting: the balancer has not loaded its config yet"), AdminJsonContext.Answers.AdminError,
            statusCode: StatusCodes.Status503ServiceUnavailable);

    private static string Remote(HttpContext context) =>
        EndPointText.Format(context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort) : null);
}
