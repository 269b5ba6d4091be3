using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            Console.WriteLine(Options.Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (!Options.TryParse(args, out var options, out var error))
        {
            Console.Error.WriteLine($"engineprobe: {error}");
            return 2;
        }

        if (options.SelfTest)
        {
            return SelfTest.Run(options.Threads);
        }

        using var stop = new ManualResetEventSlim();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        using (var host = EngineHost.Start(options.Engine, options.Threads, options.Port, options.Backend!, options.Setup))
        {
            var setup = options.Engine == EngineKind.Epoll ? "" : $", io_uring setup {options.Setup}";
            Console.WriteLine($"engineprobe: {options.Engine} engine, {options.Threads} threads{setup}, listening on 127.0.0.1:{host.Port}, backend {options.Backend}");
            stop.Wait();
        }

        Console.WriteLine("engineprobe: stopped");
        return 0;
    }
}
