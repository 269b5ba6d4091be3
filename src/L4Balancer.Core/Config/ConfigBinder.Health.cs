using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[tenant.health]</c> table (issue 17: <c>type</c> tcp, tls or http).</summary>
internal sealed partial class ConfigBinder
{
    /// <summary>A CA bundle is kilobytes; the system's whole store is about 200 KiB.</summary>
    private const int MaxCaFileBytes = 1024 * 1024;

    private static readonly string[] TlsKeys = ["sni", "ca"];
    private static readonly string[] HttpKeys = ["tls", "path", "host", "expect_status"];

    /// <param name="tenantSni">The tenant's server names: the first exact one is the check's default SNI.</param>
    private HealthConfig BindHealth(TomlSourceTable table, string tenantContext, IReadOnlyList<string> tenantSni)
    {
        var reader = new ConfigTableReader(table, $"{tenantContext} health", _diagnostics);
        var defaults = new HealthConfig();
        var type = reader.Choice("type", HealthCheckType.Tcp, ("tcp", HealthCheckType.Tcp), ("tls", HealthCheckType.Tls), ("http", HealthCheckType.Http));
        var health = new HealthConfig
        {
            Interval = reader.Duration("interval", defaults.Interval, allowZero: false),
            Timeout = reader.Duration("timeout", defaults.Timeout, allowZero: false),
            Rise = reader.Int("rise", defaults.Rise, min: 1),
            Fall = reader.Int("fall", defaults.Fall, min: 1),
            Type = type ?? HealthCheckType.Tcp,
        };

        if (type is not { } known)
        {
            // The type is wrong (already reported): read the other keys so they do not pile up as "unknown".
            foreach (var key in TlsKeys.Concat(HttpKeys))
            {
                reader.Entry(key);
            }

            reader.ReportUnknownKeys();
            return health;
        }

        if (known == HealthCheckType.Http)
        {
            health = health with
            {
                Tls = reader.Bool("tls", false),
                Path = ReadCheckPath(reader) ?? defaults.Path,
                Host = ReadCheckHost(reader),
                ExpectStatus = ReadExpectStatus(reader) ?? defaults.ExpectStatus,
            };
        }
        else
        {
            foreach (var key in HttpKeys)
            {
                if (reader.Entry(key) is { } entry)
                {
                    reader.Error(entry.Line, $"{key} applies only to type = \"http\"");
                }
            }
        }

        if (health.UsesTls)
        {
            health = health with
            {
                Sni = ReadCheckSni(reader) ?? tenantSni.FirstOrDefault(n => !n.StartsWith("*.", StringComparison.Ordinal)),
                Ca = ReadCa(reader),
            };
        }
        else
        {
            foreach (var key in TlsKeys)
            {
                if (reader.Entry(key) is { } entry)
                {
                    reader.Error(entry.Line, $"{key} applies only to type = \"tls\" or type = \"http\" with tls = true");
                }
            }
        }

        reader.ReportUnknownKeys();
        return health;
    }

    private static string? ReadCheckSni(ConfigTableReader reader)
    {
        if (reader.String("sni") is not { } text)
        {
            return null;
        }

        if (!HostName.TryNormalizeServerName(text.Value, out var name) || name.StartsWith("*.", StringComparison.Ordinal))
        {
            reader.Error(text.Line, $"sni \"{text.Value}\" is not a server name (dot-separated labels of letters, digits and hyphens, no wildcard)");
            return null;
        }

        return name;
    }

    /// <summary>An origin-form request target: it goes on the request line as written, so no spaces or control characters.</summary>
    private static string? ReadCheckPath(ConfigTableReader reader)
    {
        if (reader.String("path") is not { } text)
        {
            return null;
        }

        if (!text.Value.StartsWith('/') || text.Value.Any(c => c <= ' ' || c >= 0x7f))
        {
            reader.Error(text.Line, $"path must start with \"/\" and contain no spaces, control or non-ASCII characters (got \"{text.Value}\")");
            return null;
        }

        return text.Value;
    }

    private static string? ReadCheckHost(ConfigTableReader reader)
    {
        if (reader.String("host") is not { } text)
        {
            return null;
        }

        if (text.Value.Length == 0 || text.Value.Any(c => c <= ' ' || c >= 0x7f))
        {
            reader.Error(text.Line, $"host must be a non-empty header value without spaces, control or non-ASCII characters (got \"{text.Value}\")");
            return null;
        }

        return text.Value;
    }

    /// <summary>A string (<c>"200-399"</c>, <c>"200,204"</c>) or one integer (<c>200</c>).</summary>
    private static HttpStatusRanges? ReadExpectStatus(ConfigTableReader reader)
    {
        if (reader.Entry("expect_status") is not { } entry)
        {
            return null;
        }

        var text = entry.Value switch
        {
            Tomlyn.Syntax.StringValueSyntax { Value: { } s } => s,
            Tomlyn.Syntax.IntegerValueSyntax i => i.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
        if (text is null)
        {
            reader.Error(entry.Line, $"expect_status must be a status code or a string of codes and ranges, e.g. \"200-399\", not {entry.Describe()}");
            return null;
        }

        if (!HttpStatusRanges.TryParse(text, out var ranges, out var error))
        {
            reader.Error(entry.Line, $"expect_status {error}");
            return null;
        }

        return ranges;
    }

    /// <summary>PEM certificates, read now; a relative path starts at the config file's directory, like a <c>file:</c> token.</summary>
    private TrustedCertificates? ReadCa(ConfigTableReader reader)
    {
        if (reader.String("ca") is not { } text)
        {
            return null;
        }

        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(text.Value, _baseDirectory);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException)
        {
            reader.Error(text.Line, $"ca: cannot read file \"{text.Value}\": {e.Message}");
            return null;
        }

        if (!BoundedFile.TryRead(fullPath, MaxCaFileBytes, out var bytes, out var error))
        {
            reader.Error(text.Line, $"ca: cannot read file \"{text.Value}\": {error}");
            return null;
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(System.Text.Encoding.ASCII.GetString(bytes));
        }
        catch (CryptographicException e)
        {
            reader.Error(text.Line, $"ca: file \"{text.Value}\" is not PEM certificates: {e.Message}");
            return null;
        }

        if (certificates.Count == 0)
        {
            reader.Error(text.Line, $"ca: file \"{text.Value}\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            return null;
        }

        return new TrustedCertificates(text.Value, certificates);
    }
}
