namespace L4Balancer.LoadTest.Cli;

internal static class Usage
{
    public const string Text = """
        usage: L4Balancer.LoadTest COMMAND [options]

        commands (each stops by itself after warmup + duration + grace):
          rr          request/response on persistent connections at a fixed rate (open loop;
                      latency from the intended send time); --rate 0 = closed loop
          churn       a new connection per request (connect, send, read to EOF, close)
          bulk        --connections streams sending as fast as they can; --mode send|echo
          idle        open --connections connections, one request each, hold them; RSS of --pid
          neighbours  flood --target (tenant A) with connections and slowloris while
                      rr runs against --target-b (tenant B)
          soak        starts l4balancer (Release build) with a generated config and in-process
                      backends, runs a mix (rr, churn, long streams, slow-loris hellos, rejected
                      connections) for --duration (default 10m); samples its RSS and descriptors,
                      reports drift after warm-up and the sessions left open at the end
          stream      --connections streams (default 2000) against a `serve --kind stream` backend
                      (or a proxy in front of one), requests spread over --warmup; per chunk the
                      delay from the backend's stamped send time to receipt; --pid PID: its CPU %
          llm         prompts at --rate requests/s (open loop, one connection each) against
                      `serve --kind llm` instances or a balancer in front of them; log-normal
                      prompt bytes and output tokens; time to first token and completion
          selftest    every scenario for 2 s against an in-process server; exit 0 or 1
          serve       a trivial server: --listen IP:PORT --kind http|echo|discard|stream|llm for --duration

        common options:
          --target HOST:PORT      the endpoint to load (loopback only unless --allow-remote)
          --duration 10s          measured time (units ms, s, m, h)
          --warmup 2s             run before measuring; excluded from every statistic
          --grace 2s              after the window: time for responses in flight, then sockets close
          --connections N         connections (rr 32, churn 16 workers, bulk 4, idle 1000, neighbours 8)
          --rate R                requests (rr, neighbours) or connections (churn) per second;
                                  0 = closed loop (rr default 1000, churn default 0, neighbours 500)
          --timeout 2s            connect / response timeout
          --request TEXT          request bytes, escapes \r \n \t \0 \\ \xHH
                                  (default GET / HTTP/1.1, Host: x; churn adds Connection: close)
          --response-bytes N      responses are exactly N bytes (default: HTTP, Content-Length framing)
          --json FILE             also write the result as JSON
          --quiet                 no progress line on stderr

        scenario options:
          bulk:        --mode send|echo   --buffer BYTES (per send/receive, default 65536)
          idle:        --pid PID   --settle 2s   --open-concurrency 64
                       (--duration is the hold time after all connections are open)
          neighbours:  --target-b HOST:PORT   --flood-connections 64   --slowloris 0
                       --source-a IP (A connects from this local address, e.g. 127.0.0.2, so a
                       per-IP limit on A's address does not also count B's connections)
          soak:        --balancer PATH (default src/L4Balancer/bin/Release/net10.0/l4balancer)
                       --sample-interval 5s   --connections 8 --rate 200 (rr)   --churn-rate 50
                       --streams 4 --stream-duration 10s   --slowloris 4 --slowloris-interval 2s
                       --reject-rate 10
          stream:      --open-concurrency 64   --pid PID (CPU % of PID and its children over the
                       window)   defaults: --duration 30s --grace 5s; streams last as long as the
                       backend says (each chunk carries the stream's chunk count)
          llm:         --rate 4   --prompt-mu 6.9 --prompt-sigma 1 (ln of prompt bytes: median ~1000 B)
                       --tokens-mu 4.6 --tokens-sigma 0.8 (ln of output tokens asked: median ~100)
                       --seed 1 (same seed, same requests)   --timeout is the connect timeout
                       defaults: --duration 60s --warmup 10s --grace 30s (requests due in the warmup
                       are not measured; unfinished at the end of grace count as timeouts)
          serve:       --listen IP:PORT   --kind http|echo|discard|stream|llm   --duration 60s
                       stream: --chunk-bytes 100 (24-byte header included) --chunk-interval 50ms
                       --stream-duration 30s; one stream per connection, started by the first bytes
                       the client sends; SIGTERM/SIGINT stop it early
                       llm: --slots 4 --prefill-us-per-byte 20 --token-rate 50 (tokens/s per slot)
                       --tokens N (default: the request's max_tokens) --chunk-bytes 100 (per token)
                       --kv-capacity-tokens 8192 --model-name sim --metrics-listen IP:PORT
                       --agent-listen IP:PORT (HAProxy agent-check: "W% ready", W = 100·slots /
                       (slots + waiting), at least 1); GET /metrics is also served on --listen

        output: a progress line per second on stderr, the final table on stdout, --json FILE.
        exit codes: 0 done (errors are data, see the table), 1 selftest failed or the run hung,
        2 bad command line.
        """;
}
