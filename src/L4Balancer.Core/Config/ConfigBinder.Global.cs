using System.Text;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[global]</c> and <c>[admin]</c> tables.</summary>
internal sealed partial class ConfigBinder
{
    private const int MaxSecretFileBytes = 4096;

    private GlobalConfig BindGlobal(TomlSourceTable table)
    {
        var reader = new ConfigTableReader(table, "global", _diagnostics);
        var defaults = new GlobalConfig();
        var global = new GlobalConfig
        {
            MaxConnections = reader.Int("max_connections", 0, min: 0),
            MaxConnectionsPerIp = reader.Int("max_connections_per_ip", 0, min: 0),
            MaxPendingHandshakes = reader.Int("max_pending_handshakes", defaults.MaxPendingHandshakes, min: 0),
            MaxPendingHandshakesPerIp = reader.Int("max_pending_handshakes_per_ip", defaults.MaxPendingHandshakesPerIp, min: 0),
            ConnectTimeout = reader.Duration("connect_timeout", defaults.ConnectTimeout, allowZero: false),
            IdleTimeout = reader.Duration("idle_timeout", defaults.IdleTimeout, allowZero: false),
            ClientHelloTimeout = reader.Duration("client_hello_timeout", defaults.ClientHelloTimeout, allowZero: false),

            // 0 is meaningful here: close what is left as soon as the listeners are closed.
            DrainTimeout = reader.Duration("drain_timeout", defaults.DrainTimeout, allowZero: true),
            UpgradeTimeout = reader.Duration("upgrade_timeout", defaults.UpgradeTimeout, allowZero: false),
            Backlog = reader.Int("backlog", defaults.Backlog, min: 1),
            AccessLog = reader.Bool("access_log", defaults.AccessLog),
            Transport = reader.Choice("transport", TransportKind.Auto,
                ("auto", TransportKind.Auto),
                ("sockets", TransportKind.Sockets),
                ("epoll", TransportKind.Epoll)) ?? TransportKind.Auto,
            Threads = reader.Int("threads", 0, min: 0),
            Deny = ReadPrefixes(reader, "deny", "global deny").Select(p => p.Prefix).ToList(),
            ResolveInterval = reader.Duration("resolve_interval", defaults.ResolveInterval, allowZero: false),
        };
        if (global.Transport == TransportKind.Epoll && !OperatingSystem.IsLinux())
        {
            _diagnostics.Add(reader.KeyLine("transport"), "transport = \"epoll\" needs Linux (epoll, splice); use \"sockets\" or \"auto\"");
        }

        reader.ReportUnknownKeys();
        return global;
    }

    private AdminConfig? BindAdmin(TomlSourceTable table)
    {
        var reader = new ConfigTableReader(table, "admin", _diagnostics);
        var listen = reader.RequiredString("listen");
        var tokenText = reader.RequiredString("token");
        reader.ReportUnknownKeys();

        System.Net.IPEndPoint? endPoint = null;
        if (listen is { } l && !EndPointParser.TryParseBind(l.Value, out endPoint, out var error))
        {
            reader.Error(l.Line, $"listen {error}");
        }

        var token = tokenText is { } t ? ResolveSecret(reader, t, "token") : null;
        return endPoint is not null && token is not null ? new AdminConfig { Listen = endPoint, Token = token } : null;
    }

    /// <summary>
    /// <c>env:NAME</c>, <c>file:/path</c> or the literal secret (the admin token, the cluster's Redis
    /// password). Resolved now rather than when the admin endpoint starts, so a missing secret fails <c>check</c> and a reload instead of leaving the
    /// endpoint open with an empty token. A relative file path starts at the config file's directory,
    /// not at the working directory (which is <c>/</c> under systemd).
    /// </summary>
    private string? ResolveSecret(ConfigTableReader reader, LocatedString text, string key)
    {
        string token;
        if (text.Value.StartsWith("env:", StringComparison.Ordinal))
        {
            var name = text.Value[4..];
            if (name.Length == 0)
            {
                reader.Error(text.Line, $"{key} \"env:\" needs a variable name, e.g. \"env:L4B_ADMIN_TOKEN\"");
                return null;
            }

            if (Environment.GetEnvironmentVariable(name) is not { } value)
            {
                reader.Error(text.Line, $"{key}: environment variable \"{name}\" is not set");
                return null;
            }

            if (value.Length == 0)
            {
                reader.Error(text.Line, $"{key}: environment variable \"{name}\" is empty");
                return null;
            }

            token = value;
        }
        else if (text.Value.StartsWith("file:", StringComparison.Ordinal))
        {
            var path = text.Value[5..];
            if (path.Length == 0)
            {
                reader.Error(text.Line, $"{key} \"file:\" needs a path, e.g. \"file:/etc/l4balancer/admin-token\"");
                return null;
            }

            string fullPath;
            try
            {
                fullPath = Path.GetFullPath(path, _baseDirectory);
            }
            catch (Exception e) when (e is NotSupportedException or ArgumentException)
            {
                reader.Error(text.Line, $"{key}: cannot read file \"{path}\": {e.Message}");
                return null;
            }

            // A token is a line of text; a device, a FIFO or a large file is the wrong path, and
            // /dev/zero read whole took a reload to 4.3 GB (issue 11).
            if (!BoundedFile.TryRead(fullPath, MaxSecretFileBytes, out var bytes, out var error))
            {
                reader.Error(text.Line, $"{key}: cannot read file \"{path}\": {error}");
                return null;
            }

            // Secret files usually end with a newline (echo, editors); it is not part of the token.
            token = Encoding.UTF8.GetString(bytes).Trim();

            if (token.Length == 0)
            {
                reader.Error(text.Line, $"{key}: file \"{path}\" is empty");
                return null;
            }
        }
        else
        {
            token = text.Value;
            if (token.Length == 0)
            {
                reader.Error(text.Line, $"{key} must not be empty");
                return null;
            }
        }

        return token;
    }
}
