using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.LoadTest.Server;

namespace L4Balancer.LoadTest.Cli;

/// <summary><c>COMMAND --name value</c> (or <c>--name=value</c>); unknown options are errors, not ignored.</summary>
internal static class OptionParser
{
    private static readonly HashSet<string> Commands = ["rr", "churn", "bulk", "idle", "neighbours", "soak", "stream", "llm", "selftest", "serve"];
    private static readonly HashSet<string> Flags = ["--quiet", "--allow-remote"];

    public static bool TryParse(string[] args, [NotNullWhen(true)] out LoadTestOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (args.Length == 0 || !Commands.Contains(args[0]))
        {
            error = args.Length == 0 ? "no command" : $"unknown command \"{args[0]}\"";
            return false;
        }

        var command = args[0];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unexpected argument \"{arg}\"";
                return false;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            string name, value;
            if (equals > 0)
            {
                name = arg[..equals];
                value = arg[(equals + 1)..];
            }
            else if (Flags.Contains(arg))
            {
                name = arg;
                value = "true";
            }
            else if (i + 1 < args.Length)
            {
                name = arg;
                value = args[++i];
            }
            else
            {
                error = $"{arg} needs a value";
                return false;
            }

            values[name] = value;
        }

        var o = new LoadTestOptions
        {
            Command = command,
            Request = command is "churn" ? RequestText.CloseGet : RequestText.KeepAliveGet,
            Connections = command switch
            {
                "churn" => 16,
                "bulk" => 4,
                "idle" => 1000,
                "neighbours" => 8,
                "soak" => 8,
                "stream" => 2000,
                _ => 32,
            },
            Rate = command switch
            {
                "rr" => 1000,
                "llm" => 4,
                "neighbours" => 500,
                "soak" => 200,
                _ => 0,
            },
        };
        if (command == "soak")
        {
            o.Duration = TimeSpan.FromMinutes(10);
            o.Slowloris = 4;
        }

        if (command == "serve")
        {
            o.Duration = TimeSpan.FromSeconds(60);
            o.StreamDuration = TimeSpan.FromSeconds(30);
        }

        if (command == "stream")
        {
            // The backend's streams last 30 s by default; requests go out spread over the warmup, so
            // the last stream ends about warmup + 30 s in, and grace covers a slow proxy's lag.
            o.Duration = TimeSpan.FromSeconds(30);
            o.Grace = TimeSpan.FromSeconds(5);
        }

        if (command == "llm")
        {
            // Requests last seconds: a warmup long enough to fill the queues, a grace long enough to
            // let the requests of the window's last seconds finish.
            o.Duration = TimeSpan.FromSeconds(60);
            o.Warmup = TimeSpan.FromSeconds(10);
            o.Grace = TimeSpan.FromSeconds(30);
        }

        foreach (var (name, value) in values)
        {
            if (!TryApply(o, name, value, out error))
            {
                return false;
            }
        }

        return Validate(o, out options, out error);
    }

    private static bool TryApply(LoadTestOptions o, string name, string value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        switch (name)
        {
            case "--target": o.TargetText = value; return true;
            case "--target-b": o.TargetBText = value; return true;
            case "--duration": return TryDuration(name, value, v => o.Duration = v, out error);
            case "--warmup": return TryDuration(name, value, v => o.Warmup = v, out error);
            case "--grace": return TryDuration(name, value, v => o.Grace = v, out error);
            case "--timeout": return TryDuration(name, value, v => o.Timeout = v, out error);
            case "--settle": return TryDuration(name, value, v => o.Settle = v, out error);
            case "--connections": return TryInt(name, value, 1, 19_000, v => o.Connections = v, out error);
            case "--flood-connections": return TryInt(name, value, 0, 4096, v => o.FloodConnections = v, out error);
            case "--slowloris": return TryInt(name, value, 0, 10_000, v => o.Slowloris = v, out error);
            case "--source-a":
                if (!IPAddress.TryParse(value, out var sourceA))
                {
                    error = $"--source-a {value} is not an IP address";
                    return false;
                }

                o.SourceA = sourceA;
                return true;
            case "--open-concurrency": return TryInt(name, value, 1, 4096, v => o.OpenConcurrency = v, out error);
            case "--response-bytes": return TryInt(name, value, 1, 64 * 1024 * 1024, v => o.ResponseBytes = v, out error);
            case "--buffer": return TryInt(name, value, 1, 16 * 1024 * 1024, v => o.BufferSize = v, out error);
            case "--pid": return TryInt(name, value, 1, int.MaxValue, v => o.Pid = v, out error);
            case "--rate":
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate < 0 || rate > 10_000_000 || double.IsNaN(rate))
                {
                    error = $"--rate \"{value}\" must be a number from 0 to 10000000 (per second; 0 = closed loop)";
                    return false;
                }

                o.Rate = rate;
                return true;
            case "--request":
                if (!RequestText.TryDecode(value, out var bytes, out error))
                {
                    return false;
                }

                o.Request = bytes;
                o.RequestGiven = true;
                return true;
            case "--mode":
                if (!Enum.TryParse<BulkMode>(value, ignoreCase: true, out var mode) || !Enum.IsDefined(mode))
                {
                    error = $"--mode \"{value}\" must be send or echo";
                    return false;
                }

                o.Mode = mode;
                return true;
            case "--kind":
                // soak's paced stream is soak's own; serve offers the others.
                if (!Enum.TryParse<ServerKind>(value, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || kind == ServerKind.Paced)
                {
                    error = $"--kind \"{value}\" must be http, echo, discard, stream or llm";
                    return false;
                }

                o.ServeKind = kind;
                return true;
            case "--listen":
                if (!EndPointParser.TryParseBind(value, out var listen, out var listenError))
                {
                    error = $"--listen {listenError}";
                    return false;
                }

                o.Listen = listen;
                return true;
            case "--metrics-listen": return TryBind(name, value, v => o.MetricsListen = v, out error);
            case "--agent-listen": return TryBind(name, value, v => o.AgentListen = v, out error);
            case "--slots": return TryInt(name, value, 1, 4096, v => o.Slots = v, out error);
            case "--prefill-us-per-byte": return TryNumber(name, value, 0, 1_000_000, v => o.PrefillMicrosecondsPerByte = v, out error);
            case "--token-rate": return TryNumber(name, value, 0.01, 1_000_000, v => o.TokenRate = v, out error);
            case "--tokens": return TryInt(name, value, 1, Server.Llm.LlmSettings.MaxTokens, v => o.Tokens = v, out error);
            case "--kv-capacity-tokens": return TryInt(name, value, 1, int.MaxValue, v => o.KvCapacityTokens = v, out error);
            case "--model-name":
                if (value.Length == 0 || value.Any(char.IsControl))
                {
                    error = "--model-name must be a non-empty name without control characters";
                    return false;
                }

                o.ModelName = value;
                return true;
            case "--prompt-mu": return TryNumber(name, value, 0, 20, v => o.PromptMu = v, out error);
            case "--prompt-sigma": return TryNumber(name, value, 0, 5, v => o.PromptSigma = v, out error);
            case "--tokens-mu": return TryNumber(name, value, 0, 20, v => o.TokensMu = v, out error);
            case "--tokens-sigma": return TryNumber(name, value, 0, 5, v => o.TokensSigma = v, out error);
            case "--seed": return TryInt(name, value, 0, int.MaxValue, v => o.Seed = v, out error);
            case "--balancer": o.BalancerPath = value; return true;
            case "--sample-interval": return TryDuration(name, value, v => o.SampleInterval = v, out error);
            case "--stream-duration": return TryDuration(name, value, v => o.StreamDuration = v, out error);
            case "--slowloris-interval": return TryDuration(name, value, v => o.SlowlorisInterval = v, out error);
            case "--chunk-bytes": return TryInt(name, value, Net.StreamChunk.HeaderBytes, Net.StreamChunk.MaxBytes, v => o.ChunkBytes = v, out error);
            case "--chunk-interval": return TryDuration(name, value, v => o.ChunkInterval = v, out error);
            case "--streams": return TryInt(name, value, 0, 1000, v => o.Streams = v, out error);
            case "--churn-rate": return TryRate(name, value, v => o.ChurnRate = v, out error);
            case "--reject-rate": return TryRate(name, value, v => o.RejectRate = v, out error);
            case "--json": o.JsonPath = value; return true;
            case "--quiet": o.Quiet = value != "false"; return true;
            case "--allow-remote": o.AllowRemote = value != "false"; return true;
            default:
                error = $"unknown option {name}";
                return false;
        }
    }

    private static bool Validate(LoadTestOptions o, [NotNullWhen(true)] out LoadTestOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (o.Command is "selftest" or "serve")
        {
            if (o.Command == "serve" && o.Listen is null)
            {
                error = "serve needs --listen IP:PORT";
                return false;
            }

            if (o.Command == "serve" && o.ServeKind == ServerKind.Llm && o.ChunkBytes < Server.Llm.LlmSettings.MinChunkBytes)
            {
                error = $"--chunk-bytes must be at least {Server.Llm.LlmSettings.MinChunkBytes} for --kind llm (one token's event)";
                return false;
            }

            if (o.Command == "serve" && o.ServeKind != ServerKind.Llm && (o.MetricsListen is not null || o.AgentListen is not null))
            {
                error = "--metrics-listen and --agent-listen are for --kind llm";
                return false;
            }

            if (o.Command == "serve" && o.ServeKind == ServerKind.Stream && (o.ChunkInterval < TimeSpan.FromMilliseconds(1) || o.StreamDuration < o.ChunkInterval))
            {
                error = "--chunk-interval must be at least 1ms and --stream-duration at least one --chunk-interval";
                return false;
            }

            options = o;
            error = null;
            return true;
        }

        if (o.Command == "soak")
        {
            return ValidateSoak(o, out options, out error);
        }

        if (o.TargetText is null)
        {
            error = $"{o.Command} needs --target HOST:PORT";
            return false;
        }

        if (!TargetResolver.TryResolve("--target", o.TargetText, o.AllowRemote, out var target, out error))
        {
            return false;
        }

        o.Target = target;
        if (o.Command == "neighbours")
        {
            if (o.TargetBText is null)
            {
                error = "neighbours needs --target-b HOST:PORT (tenant B)";
                return false;
            }

            if (!TargetResolver.TryResolve("--target-b", o.TargetBText, o.AllowRemote, out var targetB, out error))
            {
                return false;
            }

            o.TargetB = targetB;
            if (o.SourceA is { } source && source.AddressFamily != target.AddressFamily)
            {
                error = $"--source-a {source} is not of the same address family as --target {target}";
                return false;
            }
        }

        if (o.Duration <= TimeSpan.Zero)
        {
            error = "--duration must be more than 0";
            return false;
        }

        if (o.Command == "llm" && o.Rate <= 0)
        {
            error = "llm needs --rate above 0 (requests per second, open loop)";
            return false;
        }

        if (o.Command == "rr" && o.Rate > 0 && o.Rate < o.Connections / o.Duration.TotalSeconds)
        {
            error = $"--rate {o.Rate} gives some of the {o.Connections} connections no request in {DurationParser.Format(o.Duration)}; lower --connections";
            return false;
        }

        options = o;
        error = null;
        return true;
    }

    /// <summary>soak starts its own balancer and backends on loopback: it takes no --target.</summary>
    private static bool ValidateSoak(LoadTestOptions o, [NotNullWhen(true)] out LoadTestOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        error = o.TargetText is not null ? "soak starts its own balancer: it takes no --target"
            : o.Duration <= TimeSpan.Zero ? "--duration must be more than 0"
            : o.SampleInterval < TimeSpan.FromMilliseconds(100) ? "--sample-interval must be at least 100ms"
            : o.Duration < o.SampleInterval * 5 ? $"--duration must cover at least 5 samples of --sample-interval {DurationParser.Format(o.SampleInterval)}"
            : o.Slowloris > 60 ? "--slowloris must be at most 60 (they share one source address, and the balancer's default max_pending_handshakes_per_ip is 64)"
            : o.SlowlorisInterval <= TimeSpan.Zero ? "--slowloris-interval must be more than 0"
            : o.StreamDuration < TimeSpan.FromMilliseconds(250) ? "--stream-duration must be at least 250ms"
            : o.Rate > 0 && o.Rate < o.Connections / o.Duration.TotalSeconds ? $"--rate {o.Rate} gives some of the {o.Connections} connections no request; lower --connections"
            : null;
        if (error is not null)
        {
            return false;
        }

        options = o;
        return true;
    }

    private static bool TryRate(string name, string value, Action<double> set, [NotNullWhen(false)] out string? error)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) || rate < 0 || rate > 100_000 || double.IsNaN(rate))
        {
            error = $"{name} \"{value}\" must be a number from 0 to 100000 (per second)";
            return false;
        }

        set(rate);
        error = null;
        return true;
    }

    private static bool TryNumber(string name, string value, double min, double max, Action<double> set, [NotNullWhen(false)] out string? error)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || double.IsNaN(number) || number < min || number > max)
        {
            error = $"{name} \"{value}\" must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
            return false;
        }

        set(number);
        error = null;
        return true;
    }

    private static bool TryBind(string name, string value, Action<IPEndPoint> set, [NotNullWhen(false)] out string? error)
    {
        if (!EndPointParser.TryParseBind(value, out var bind, out var bindError))
        {
            error = $"{name} {bindError}";
            return false;
        }

        set(bind);
        error = null;
        return true;
    }

    private static bool TryDuration(string name, string value, Action<TimeSpan> set, [NotNullWhen(false)] out string? error)
    {
        if (!DurationParser.TryParse(value, out var duration, out var parseError))
        {
            error = $"{name} {parseError}";
            return false;
        }

        set(duration);
        error = null;
        return true;
    }

    private static bool TryInt(string name, string value, int min, int max, Action<int> set, [NotNullWhen(false)] out string? error)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            error = $"{name} \"{value}\" must be a whole number from {min} to {max}";
            return false;
        }

        set(number);
        error = null;
        return true;
    }
}
