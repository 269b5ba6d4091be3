using System.Net;

namespace L4Balancer.EngineProbe;

internal sealed record Options(EngineKind Engine, int Threads, int Port, IPEndPoint? Backend, UringSetup Setup, bool SelfTest)
{
    public const string Usage = """
        L4Balancer.EngineProbe: one minimal TCP relay, two event-loop engines (bench only, issue 14).

          --engine epoll|uring|uring-multishot   (default epoll)
          --threads N        loop threads, each with its own listener (SO_REUSEPORT) and epoll/ring (default 2)
          --listen PORT      listen on 127.0.0.1:PORT (default 0: any free port, printed)
          --backend IP:PORT  the one backend every connection is relayed to (IPv4)
          --setup plain|coop|defer   io_uring_setup flags (default defer = SINGLE_ISSUER|DEFER_TASKRUN)
          --selftest         run every engine in-process against an in-process echo backend; exit 0 if all pass

        Runs until SIGTERM or SIGINT. Debugging aids (environment): PROBE_DEBUG=1 prints every failed
        io_uring completion; PROBE_SELFTEST_ONLY=epoll|uring-defer|uring-coop|uring-plain|uring-multishot-defer
        runs one selftest variant; PROBE_POOL_BUFFERS=N (a power of two) shrinks the multishot engine's
        provided-buffer pool (default 1024 per thread) to exercise its ENOBUFS path.
        """;

    public static bool TryParse(string[] args, out Options options, out string error)
    {
        options = new Options(EngineKind.Epoll, 2, 0, null, UringSetup.Defer, false);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--selftest")
            {
                options = options with { SelfTest = true };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name}: missing value";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--engine":
                    EngineKind? engine = value switch
                    {
                        "epoll" => EngineKind.Epoll,
                        "uring" => EngineKind.Uring,
                        "uring-multishot" => EngineKind.UringMultishot,
                        _ => null,
                    };
                    if (engine is null)
                    {
                        error = $"--engine: '{value}' is not epoll, uring or uring-multishot";
                        return false;
                    }

                    options = options with { Engine = engine.Value };
                    break;

                case "--threads" when int.TryParse(value, out var threads) && threads is >= 1 and <= 256:
                    options = options with { Threads = threads };
                    break;

                case "--listen" when int.TryParse(value, out var port) && port is >= 0 and <= 65535:
                    options = options with { Port = port };
                    break;

                case "--backend" when IPEndPoint.TryParse(value, out var backend) && backend.Port > 0:
                    options = options with { Backend = backend };
                    break;

                case "--setup" when Enum.TryParse<UringSetup>(value, ignoreCase: true, out var setup):
                    options = options with { Setup = setup };
                    break;

                default:
                    error = $"{name} {value}: unknown option or bad value";
                    return false;
            }
        }

        if (!options.SelfTest && options.Backend is null)
        {
            error = "--backend IP:PORT is required (or --selftest)";
            return false;
        }

        return true;
    }
}
