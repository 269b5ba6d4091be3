using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Server;

namespace L4Balancer.LoadTest.Scenarios.Soak;

/// <summary>
/// What soak stands up before its clock starts: the backends (two in-process HTTP servers and a
/// stream server on 127.0.0.1 port 0) and the l4balancer process in front of them.
/// </summary>
internal sealed class SoakEnvironment : IAsyncDisposable
{
    /// <summary>
    /// The balancer's client_hello_timeout: long enough for an honest hello on a busy 2-core machine,
    /// short enough that each slow-loris is closed a few times a minute.
    /// </summary>
    public static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(5);

    private readonly bool _keepFiles;

    private SoakEnvironment(InProcessServer webA, InProcessServer webB, InProcessServer stream, SoakBalancer balancer, bool keepFiles)
    {
        _keepFiles = keepFiles;
        WebA = webA;
        WebB = webB;
        Stream = stream;
        Balancer = balancer;
    }

    public InProcessServer WebA { get; }
    public InProcessServer WebB { get; }
    public InProcessServer Stream { get; }
    public SoakBalancer Balancer { get; }

    public static async Task<SoakEnvironment> StartAsync(LoadTestOptions o, CancellationToken cancellationToken = default)
    {
        var executable = SoakBalancer.Find(o.BalancerPath)
            ?? throw new FileNotFoundException("no l4balancer executable: pass --balancer PATH or build it with `dotnet build -c Release src/L4Balancer`");
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var webA = InProcessServer.Start(loopback, ServerKind.Http);
        var webB = InProcessServer.Start(loopback, ServerKind.Http);
        var stream = InProcessServer.StartStream(loopback, o.StreamDuration);
        try
        {
            var balancer = await SoakBalancer.StartAsync(executable, webA.EndPoint, webB.EndPoint, stream.EndPoint, HelloTimeout, cancellationToken).ConfigureAwait(false);
            return new SoakEnvironment(webA, webB, stream, balancer, o.KeepSoakFiles);
        }
        catch
        {
            await webA.DisposeAsync().ConfigureAwait(false);
            await webB.DisposeAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Balancer.DisposeAsync().ConfigureAwait(false);
        await WebA.DisposeAsync().ConfigureAwait(false);
        await WebB.DisposeAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
        if (!_keepFiles)
        {
            Directory.Delete(Balancer.Directory, recursive: true);
        }
    }
}
