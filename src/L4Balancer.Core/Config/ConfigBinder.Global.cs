using System.Text;
using Microsoft.Extensions.Logging;

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
            LogLevel = reader.Choice("log_level", defaults.LogLevel,
                ("trace", LogLevel.Trace),
                ("debug", LogLevel.Debug),
                ("info", LogLevel.Information),
                ("information", LogLevel.Information),
                ("warning", LogLevel.Warning),
                ("warn", LogLevel.Warning),
                ("error", LogLevel.Error),
                ("critical", LogLevel.Critical),
                ("none", LogLevel.None)) ?? defaults.LogLevel,
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
        var tokens = BindAdminTokens(reader);
        reader.ReportUnknownKeys();

        System.Net.IPEndPoint? endPoint = null;
        if (listen is { } l && !EndPointParser.TryParseBind(l.Value, out endPoint, out var error))
        {
            reader.Error(l.Line, $"listen {error}");
        }

        return endPoint is not null && tokens is not null ? new AdminConfig { Listen = endPoint, Tokens = tokens } : null;
    }

    /// <summary>
    /// <c>token = "..."</c> (one token of scope operate, the form before issue 17) or <c>[[admin.token]]</c>
    /// entries with <c>token</c> and <c>scope</c>. TOML makes the two exclusive: one key cannot be both a
    /// string and an array of tables. Null after an error.
    /// </summary>
    private List<AdminToken>? BindAdminTokens(ConfigTableReader reader)
    {
        const string Forms = "token = \"env:NAME\" (scope operate) or [[admin.token]] entries with token and scope";
        if (!reader.Has("token"))
        {
            reader.Error(reader.Line, $"token is required: {Forms}");
            return null;
        }

        var entry = reader.Entry("token")!;
        if (entry.Value is Tomlyn.Syntax.StringValueSyntax)
        {
            return reader.String("token") is { } text && ResolveSecret(reader, text, "token") is { } secret
                ? [new AdminToken(secret, AdminScope.Operate)]
                : null;
        }

        if (entry.Tables is not { } tables)
        {
            reader.Error(entry.Line, entry.Value is Tomlyn.Syntax.ArraySyntax { Items.ChildrenCount: 0 }
                ? $"token = [] gives no token: {Forms}"
                : $"token must be a string or [[admin.token]] tables, not {entry.Describe()}");
            return null;
        }

        if (tables.Count == 0)
        {
            reader.Error(entry.Line, $"[[admin.token]] gives no token: {Forms}");
            return null;
        }

        var tokens = new List<AdminToken>();
        var seen = new List<(int Number, int Line)>(); // of each entry in tokens
        var valid = true;
        for (var i = 0; i < tables.Count; i++)
        {
            var item = new ConfigTableReader(tables[i], $"admin.token #{i + 1}", _diagnostics);
            var text = item.RequiredString("token");
            AdminScope? scope = null;
            if (!item.Has("scope"))
            {
                // No default: a forgotten scope must not hand out operate, and read where operate was meant
                // would only show up at the first drain that is refused.
                item.Error(item.Line, "scope is required: \"read\" or \"operate\"");
            }
            else
            {
                scope = item.Choice("scope", AdminScope.Read, ("read", AdminScope.Read), ("operate", AdminScope.Operate));
            }

            item.ReportUnknownKeys();
            var secret = text is { } t ? ResolveSecret(item, t, "token") : null;
            if (secret is null || scope is null)
            {
                valid = false;
                continue;
            }

            // The same secret twice would have two scopes, or one entry too many: either way a mistake.
            var same = tokens.FindIndex(k => string.Equals(k.Secret, secret, StringComparison.Ordinal));
            if (same >= 0)
            {
                item.Error(text!.Value.Line, $"token is the same secret as admin.token #{seen[same].Number} (line {seen[same].Line}); give each entry its own");
                valid = false;
                continue;
            }

            tokens.Add(new AdminToken(secret, scope.Value));
            seen.Add((i + 1, text!.Value.Line));
        }

        return valid ? tokens : null;
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
