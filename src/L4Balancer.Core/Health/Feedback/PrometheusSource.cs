using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// Reads a backend's Prometheus or OpenMetrics exposition (e.g. vLLM's <c>/metrics</c>) and turns it into
/// a load figure (<see cref="PrometheusText.TryComputeLoad"/>). One HTTP client per tenant, its connections
/// kept alive between polls; the body is read up to <see cref="MaxBodyBytes"/>, so a runaway exposition
/// fails the poll instead of filling memory.
/// </summary>
internal sealed class PrometheusSource : IFeedbackSource
{
    /// <summary>vLLM's exposition is a few hundred kilobytes with many models; 4 MiB leaves room and bounds a bad one.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    private readonly FeedbackConfig _settings;
    private readonly HttpClient _client;

    public PrometheusSource(FeedbackConfig settings)
    {
        _settings = settings;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = settings.Timeout,
            AutomaticDecompression = DecompressionMethods.GZip,
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionIdleTimeout = settings.Interval * 4,
        };
        if (settings.Insecure)
        {
            // Asked for with insecure = true: backends with self-signed certificates (HAProxy's "verify none").
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true };
        }

        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };

        // Prometheus's own scrape preference: OpenMetrics first, then the classic text format.
        var accept = _client.DefaultRequestHeaders.Accept;
        accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text;version=1.0.0;q=0.6"));
        accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text;version=0.0.1;q=0.5"));
        accept.Add(MediaTypeWithQualityHeaderValue.Parse("text/plain;version=0.0.4;q=0.4"));
        accept.Add(MediaTypeWithQualityHeaderValue.Parse("*/*;q=0.1"));
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("l4balancer-feedback");
    }

    /// <summary><c>metrics_url</c> with <c>{host}</c> (an IPv6 address in brackets) and <c>{port}</c> of the backend's address.</summary>
    public static Uri MetricsUri(string template, BackendState backend)
    {
        var endPoint = backend.EndPoint;
        var host = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        return new Uri(template
            .Replace("{host}", host, StringComparison.Ordinal)
            .Replace("{port}", endPoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    public async Task<FeedbackPoll> PollAsync(BackendState backend, CancellationToken cancellationToken)
    {
        var uri = MetricsUri(_settings.MetricsUrl!, backend);
        try
        {
            using var response = await _client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return FeedbackPoll.Failed(string.Create(CultureInfo.InvariantCulture, $"{uri}: HTTP {(int)response.StatusCode}"));
            }

            if (response.Content.Headers.ContentLength > MaxBodyBytes)
            {
                return FeedbackPoll.Failed(string.Create(CultureInfo.InvariantCulture, $"{uri}: {response.Content.Headers.ContentLength} bytes, more than the {MaxBodyBytes} read"));
            }

            var body = await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return FeedbackPoll.Failed(string.Create(CultureInfo.InvariantCulture, $"{uri}: more than the {MaxBodyBytes} bytes read"));
            }

            return PrometheusText.TryComputeLoad(body, _settings.Load, out var load, out var error)
                ? FeedbackPoll.FromLoad(load)
                : FeedbackPoll.Failed($"{uri}: {error}");
        }
        catch (HttpRequestException e)
        {
            return FeedbackPoll.Failed($"{uri}: {e.HttpRequestError} ({e.Message})");
        }
        catch (IOException e)
        {
            return FeedbackPoll.Failed($"{uri}: {e.Message}");
        }
    }

    /// <returns>The body as text, or null when it is longer than <see cref="MaxBodyBytes"/>.</returns>
    private static async Task<string?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            while (true)
            {
                var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
                }

                if (buffer.Length + read > MaxBodyBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
    }

    public void Dispose() => _client.Dispose();
}
