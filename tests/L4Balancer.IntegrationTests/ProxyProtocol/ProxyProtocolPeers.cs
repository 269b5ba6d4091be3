namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>The real receivers: each answers with the client address it read from the PROXY protocol header.</summary>
internal static class ProxyProtocolPeers
{
    /// <summary>
    /// nginx stream with <c>listen … proxy_protocol</c>, answering <c>$proxy_protocol_addr:$proxy_protocol_port\n</c>.
    /// One process (<c>master_process off</c>): no workers to outlive a kill, and no <c>user</c> directive
    /// to get right, so it runs the same as root (CI) and as anyone else. <c>-e</c> keeps even the
    /// start-up error log out of /var/log.
    /// </summary>
    public static Task<PeerProcess> StartNginxAsync() => PeerProcess.StartAsync("nginx", PeerTools.Nginx!, (dir, port) =>
    {
        File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
            load_module {{PeerTools.NginxStreamModule}};
            daemon off;
            master_process off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log info;
            events { worker_connections 64; }
            stream {
                server {
                    listen 127.0.0.1:{{port}} proxy_protocol;
                    proxy_protocol_timeout 10s;
                    return "$proxy_protocol_addr:$proxy_protocol_port\n";
                }
            }
            """);
        return ["-p", dir + "/", "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log")];
    });

    /// <summary>
    /// HAProxy with <c>bind … accept-proxy</c>: an HTTP frontend whose every answer is
    /// <c>%[src]:%[src_port]</c>, the client address as HAProxy took it from the header. <c>-db</c> keeps it
    /// in the foreground; without <c>user</c>/<c>group</c> it stays whoever started it.
    /// </summary>
    public static Task<PeerProcess> StartHaproxyAsync() => PeerProcess.StartAsync("haproxy", PeerTools.Haproxy!, (dir, port) =>
    {
        File.WriteAllText(Path.Combine(dir, "haproxy.cfg"), $"""
            global
                maxconn 64

            defaults
                mode http
                timeout connect 5s
                timeout client 30s
                timeout server 30s

            frontend proxied
                bind 127.0.0.1:{port} accept-proxy
                http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"

            """); // HAProxy refuses a config whose last line has no LF
        return ["-db", "-f", Path.Combine(dir, "haproxy.cfg")];
    });
}
