using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Handover;

/// <summary>
/// Listening sockets handed over by the process this one replaces, waiting to be claimed by the
/// listeners and the admin endpoint of the new config. A listener takes the socket of the same name and
/// configured address (so port 0 keeps its real port, as a reload keeps it), or else one bound to exactly
/// the address it asks for, as HAProxy's <c>sock_find_compatible_fd</c> matches by address and options.
/// What nobody claims is closed once the new process is serving (the old one still holds its copy).
/// </summary>
internal sealed class AdoptedSockets : IDisposable
{
    private readonly List<(HandoverSocket Meta, Socket Socket)> _sockets = [];
    private readonly Lock _lock = new();

    /// <summary>Sockets already wrapped (from systemd's LISTEN_FDS).</summary>
    public static AdoptedSockets FromSockets(IEnumerable<(HandoverSocket Meta, Socket Socket)> sockets)
    {
        var adopted = new AdoptedSockets();
        adopted._sockets.AddRange(sockets);
        return adopted;
    }

    /// <summary>What nobody claimed (yet), for a warning.</summary>
    public IReadOnlyList<HandoverSocket> Unclaimed()
    {
        lock (_lock)
        {
            return [.. _sockets.Select(s => s.Meta)];
        }
    }

    /// <summary>Wraps each received descriptor (same order as <paramref name="sockets"/>) in a <see cref="Socket"/>.</summary>
    public static AdoptedSockets FromDescriptors(IReadOnlyList<HandoverSocket> sockets, IReadOnlyList<int> descriptors)
    {
        if (sockets.Count != descriptors.Count)
        {
            HandoverChannel.CloseAll(descriptors);
            throw new InvalidDataException($"the handover listed {sockets.Count} socket(s) but passed {descriptors.Count} descriptor(s)");
        }

        var adopted = new AdoptedSockets();
        for (var i = 0; i < sockets.Count; i++)
        {
            adopted._sockets.Add((sockets[i], new Socket(new SafeSocketHandle(descriptors[i], ownsHandle: true))));
        }

        return adopted;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sockets.Count;
            }
        }
    }

    /// <summary>The socket for listener <paramref name="name"/> bound for <paramref name="bind"/>, or null (bind a new one).</summary>
    public Socket? TakeListener(string name, IPEndPoint bind) =>
        Take(HandoverSocket.ListenerKind, name, bind);

    /// <summary>The admin endpoint's socket for <paramref name="listen"/>, or null.</summary>
    public Socket? TakeAdmin(EndPoint listen) =>
        Take(HandoverSocket.AdminKind, null, listen);

    private Socket? Take(string kind, string? name, EndPoint bind)
    {
        var wanted = bind.ToString();
        lock (_lock)
        {
            var index = _sockets.FindIndex(s => s.Meta.Kind == kind && (name is null || s.Meta.Name == name) && (s.Meta.Bind == wanted || s.Meta.Bind == HandoverSocket.AnyBind));
            if (index < 0 && bind is not IPEndPoint { Port: 0 })
            {
                // Renamed, or the config now names the port the old one chose: the same address is the same socket.
                index = _sockets.FindIndex(s => s.Meta.Kind == kind && s.Meta.EndPoint == wanted);
            }

            if (index < 0)
            {
                return null;
            }

            var socket = _sockets[index].Socket;
            _sockets.RemoveAt(index);
            return socket;
        }
    }

    /// <summary>Closes every socket not claimed; the previous process's copies keep the kernel sockets open.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (_, socket) in _sockets)
            {
                SharedSocket.Close(socket);
            }

            _sockets.Clear();
        }
    }
}
