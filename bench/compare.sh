#!/usr/bin/env bash
# bench/compare.sh: the same loads, back to back, against four targets on this machine:
#   direct      the backend itself (nginx http, no proxy)
#   l4balancer  L4Balancer, Release build (published by this script unless L4B_BIN is set)
#   haproxy     HAProxy, mode tcp, balance leastconn
#   nginx       nginx stream, least_conn
# Each proxy sits in front of the same backends: one nginx (http, `return 200 "ok\n"`) listening
# on two loopback ports, `iperf3 -s` for bulk transfer, and for the stream step our generator's
# `serve --kind stream` (LLM-shaped: timestamped chunks). Everything is on 127.0.0.1.
#
# Loads (tools nobody here wrote, plus our own generator when it is present):
#   wrk keep-alive  wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${WRK_SECONDS}s --latency
#   wrk close       the same with -H 'Connection: close': one TCP connection per request
#   iperf3          iperf3 -c 127.0.0.1 -p PORT -t $IPERF_SECONDS (one stream)
#   rr              $LOADTEST rr at RR_PERCENT % of HAProxy's keep-alive request rate of this run
#   idle            $LOADTEST idle: RSS bytes per idle connection of the proxy process
#   stream          $LOADTEST stream: $STREAM_CONNECTIONS streams, each a $STREAM_CHUNK_BYTES-byte chunk every
#                   $STREAM_CHUNK_MS ms for $STREAM_SECONDS s (server-sent tokens), requests spread over
#                   $STREAM_RAMP_SECONDS s; per chunk the delay from the backend's stamped send time (CLOCK_MONOTONIC,
#                   one clock for every process here) to the client's receive; the proxy's CPU % over
#                   the window when every stream is open (ramp end → STREAM_SECONDS)
#
# STEPS picks the steps to run, in this order whatever the order given: ka close iperf rr idle stream
# (default: all). E.g. STEPS=stream, or STEPS="ka close". rr takes its rate from HAProxy's keep-alive
# rate, so it needs ka in the same run; the table shows only the rows of the steps that ran.
#
# It installs nothing: a missing tool prints the apt-get line and the script exits 1. Every process
# it starts runs in the foreground from configs in a temp dir, with its own pid/log files, and is
# stopped (by its pid) when the script exits. System services are never touched.
#
# No logging on the hot path for any target: the backend nginx has access_log off; HAProxy has no
# `log` line; nginx stream has no access_log (its default); L4Balancer writes one access-log line per
# connection at Information level to the console and cannot turn it off, so its stdout/stderr goes to
# $L4B_LOG (default /dev/null) so that no terminal slows it down. The formatting and the console
# logger's thread stay in: measured at 3-13 % of its CPU per connection on the close load
# (bench/README.md, "Findings").
#
# Usage: bench/compare.sh            (from anywhere; settings through environment variables below)
set -euo pipefail

# ---------------------------------------------------------------- settings
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_SECONDS=${WRK_SECONDS:-15}         # keep-alive run
CLOSE_SECONDS=${CLOSE_SECONDS:-15}     # Connection: close run
WARMUP_SECONDS=${WARMUP_SECONDS:-3}    # unmeasured wrk run before each measured one (JIT, caches)
IPERF_SECONDS=${IPERF_SECONDS:-10}
RR_CONNECTIONS=${RR_CONNECTIONS:-32}
RR_SECONDS=${RR_SECONDS:-15}
RR_PERCENT=${RR_PERCENT:-50}           # rr rate = this % of HAProxy's keep-alive requests/s
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-4000}
STREAM_CONNECTIONS=${STREAM_CONNECTIONS:-2000}
STREAM_SECONDS=${STREAM_SECONDS:-30}   # length of each stream; the window is STREAM_RAMP_SECONDS .. STREAM_SECONDS
STREAM_RAMP_SECONDS=${STREAM_RAMP_SECONDS:-2}  # requests go out spread over this (the generator's warmup)
STREAM_CHUNK_BYTES=${STREAM_CHUNK_BYTES:-100}
STREAM_CHUNK_MS=${STREAM_CHUNK_MS:-50}
ALL_STEPS="ka close iperf rr idle stream"
STEPS=${STEPS:-$ALL_STEPS}
SETTLE_SECONDS=${SETTLE_SECONDS:-2}    # pause between runs
PORT_BASE=${PORT_BASE:-19100}          # ports PORT_BASE+1 .. PORT_BASE+41 on 127.0.0.1
L4B_BIN=${L4B_BIN:-}                   # a published l4balancer; empty = dotnet publish into the temp dir
L4B_LOG=${L4B_LOG:-/dev/null}          # where L4Balancer's console (access) log goes
# HAProxy and nginx run without per-connection logging here; so does L4Balancer unless this is true
# (its access log costs 3-13 % of the CPU per connection under the close load, bench/README.md).
L4B_ACCESS_LOG=${L4B_ACCESS_LOG:-false}
L4B_TRANSPORT=${L4B_TRANSPORT:-auto}     # [global] transport of L4Balancer: auto, sockets or epoll
LOADTEST=${LOADTEST:-dotnet run -c Release --project bench/L4Balancer.LoadTest --}
LOADTEST_DIR=${LOADTEST_DIR:-bench/L4Balancer.LoadTest}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
KEEP_TMP=${KEEP_TMP:-0}                # 1 = keep the temp dir (configs, tool outputs, logs)

SETTINGS_VARS=(WRK_THREADS WRK_CONNECTIONS WRK_SECONDS CLOSE_SECONDS WARMUP_SECONDS IPERF_SECONDS
  RR_CONNECTIONS RR_SECONDS RR_PERCENT IDLE_CONNECTIONS STREAM_CONNECTIONS STREAM_SECONDS STREAM_RAMP_SECONDS
  STREAM_CHUNK_BYTES STREAM_CHUNK_MS SETTLE_SECONDS PORT_BASE)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/configs.sh
source "$REPO/bench/lib/configs.sh"
cd "$REPO"
INVOKED="bench/compare.sh${*:+ $*}"

say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

for v in "${SETTINGS_VARS[@]}"; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[[ $# -eq 0 ]] || die "no arguments; settings are environment variables (see the top of $0)"
for s in $STEPS; do
  [[ " $ALL_STEPS " == *" $s "* ]] || die "STEPS: unknown step '$s' (steps: $ALL_STEPS)"
done
step_on() { [[ " $STEPS " == *" $1 "* ]]; }
((STREAM_SECONDS > STREAM_RAMP_SECONDS)) || die "STREAM_SECONDS must be more than STREAM_RAMP_SECONDS"
((STREAM_CONNECTIONS >= 1 && STREAM_CONNECTIONS <= 19000)) || die "STREAM_CONNECTIONS must be from 1 to 19000"

# ---------------------------------------------------------------- tools
APT_LINE="apt-get install -y haproxy nginx libnginx-mod-stream wrk iperf3 jq"
missing=()
for tool in haproxy nginx wrk iperf3 jq ss pgrep timeout awk; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -f $NGINX_STREAM_MODULE ]] || missing+=("nginx stream module ($NGINX_STREAM_MODULE, package libnginx-mod-stream)")
if [[ -z $L4B_BIN ]] || [[ -d $LOADTEST_DIR ]]; then
  command -v dotnet >/dev/null 2>&1 || missing+=("dotnet (the .NET 10 SDK, https://dot.net)")
fi
if ((${#missing[@]})); then
  printf 'missing: %s\n' "${missing[@]}" >&2
  printf 'install them with:\n  %s\n' "$APT_LINE" >&2
  exit 1
fi

# ---------------------------------------------------------------- ports
P_BACKEND_A=$((PORT_BASE + 1))    # backend nginx (http), first port
P_BACKEND_B=$((PORT_BASE + 2))    # backend nginx (http), second port
P_IPERF=$((PORT_BASE + 3))        # iperf3 -s
P_STREAM=$((PORT_BASE + 4))       # LoadTest serve --kind stream (only while the stream step runs)
P_L4B_HTTP=$((PORT_BASE + 11)); P_L4B_IPERF=$((PORT_BASE + 12)); P_L4B_STREAM=$((PORT_BASE + 13))
P_HAP_HTTP=$((PORT_BASE + 21)); P_HAP_IPERF=$((PORT_BASE + 22)); P_HAP_STREAM=$((PORT_BASE + 23))
P_NGX_HTTP=$((PORT_BASE + 31)); P_NGX_IPERF=$((PORT_BASE + 32)); P_NGX_STREAM=$((PORT_BASE + 33))
P_NGX_IDLE=$((PORT_BASE + 41))    # single-worker nginx stream, only for the idle step

TARGETS=(direct l4balancer haproxy nginx)
declare -A HTTP_PORT=([direct]=$P_BACKEND_A [l4balancer]=$P_L4B_HTTP [haproxy]=$P_HAP_HTTP [nginx]=$P_NGX_HTTP)
declare -A IPERF_PORT=([direct]=$P_IPERF [l4balancer]=$P_L4B_IPERF [haproxy]=$P_HAP_IPERF [nginx]=$P_NGX_IPERF)
declare -A STREAM_PORT=([direct]=$P_STREAM [l4balancer]=$P_L4B_STREAM [haproxy]=$P_HAP_STREAM [nginx]=$P_NGX_STREAM)

listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in $P_BACKEND_A $P_BACKEND_B $P_IPERF $P_STREAM $P_L4B_HTTP $P_L4B_IPERF $P_L4B_STREAM $P_HAP_HTTP \
         $P_HAP_IPERF $P_HAP_STREAM $P_NGX_HTTP $P_NGX_IPERF $P_NGX_STREAM $P_NGX_IDLE; do
  ! listening "$p" || die "port $p is already in use (set PORT_BASE)"
done

# ---------------------------------------------------------------- processes, cleanup
TMP=$(mktemp -d /tmp/l4b-compare.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as nobody when started as root
declare -A PID=()
STARTED=()

cleanup() {
  local rc=$? name pid i
  trap - EXIT INT TERM
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    name=${STARTED[i]}; pid=${PID[$name]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for name in "${STARTED[@]}"; do
    pid=${PID[$name]}
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name (pid $pid) did not stop on SIGTERM; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then
    say "temp dir kept: $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD...: run CMD in the background (foreground mode of the tool), output to $TMP/NAME.out
start() {
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>&1 &
  PID[$name]=$!
  STARTED+=("$name")
}

# restart NAME CMD...: stop NAME (SIGTERM; it has no connections left) and start it again
restart() {
  local name=$1; shift
  kill -TERM "${PID[$name]}" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
  kill -0 "${PID[$name]}" 2>/dev/null && die "$name did not stop within 10 s"
  start "$name" "$@"
}

# wait_listen NAME PORT...: every PORT listens within 30 s, and NAME is still alive
wait_listen() {
  local name=$1 p; shift
  for p in "$@"; do
    for _ in $(seq 300); do
      listening "$p" && break
      kill -0 "${PID[$name]}" 2>/dev/null || { cat "$TMP/$name.out" >&2; die "$name exited during start-up"; }
      sleep 0.1
    done
    listening "$p" || { cat "$TMP/$name.out" >&2; die "$name is not listening on $p after 30 s"; }
  done
}

# CPU time (clock ticks, user+system) of a process and its direct children (nginx workers)
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
  local root=$1 total=0 p t
  for p in "$root" $(pgrep -P "$root" || true); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# ---------------------------------------------------------------- configs
NPROC=$(nproc)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
[[ $FD_LIMIT == unlimited ]] && FD_LIMIT=1048576
((FD_LIMIT >= 2 * IDLE_CONNECTIONS + 1000)) ||
  say "warning: ulimit -n is $FD_LIMIT; the idle step with $IDLE_CONNECTIONS connections may run out of descriptors"
# A proxied stream holds two descriptors in the proxy, one in the generator and one in the backend.
((FD_LIMIT >= 2 * STREAM_CONNECTIONS + 1000)) ||
  say "warning: ulimit -n is $FD_LIMIT; the stream step with $STREAM_CONNECTIONS connections may run out of descriptors"
# Connection caps derived from the descriptor limit (a proxied connection takes two descriptors).
WORKER_CONNECTIONS=$((FD_LIMIT - 100 < 20000 ? FD_LIMIT - 100 : 20000))
HAP_MAXCONN=$(((FD_LIMIT - 100) / 2 < 50000 ? (FD_LIMIT - 100) / 2 : 50000))

mkdir -p "$TMP/backend" "$TMP/nginx" "$TMP/nginx-idle"
backend_nginx_conf "$TMP/backend" "$FD_LIMIT" "$WORKER_CONNECTIONS" "$P_BACKEND_A" "$P_BACKEND_B" >"$TMP/backend/nginx.conf"

nginx_stream_conf() {  # DIR WORKERS LISTEN-LINES...
  local dir=$1 workers=$2
  cat <<EOF
load_module $NGINX_STREAM_MODULE;
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile $FD_LIMIT;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $WORKER_CONNECTIONS; }
stream {
    # no access_log: nginx stream logs nothing per connection unless told to
    proxy_connect_timeout 5s;
    proxy_timeout 30m;
    upstream http_backends { least_conn; server 127.0.0.1:$P_BACKEND_A; server 127.0.0.1:$P_BACKEND_B; }
    upstream iperf_backend { least_conn; server 127.0.0.1:$P_IPERF; }
    upstream stream_backend { least_conn; server 127.0.0.1:$P_STREAM; }
EOF
  shift 2
  local line
  for line in "$@"; do echo "    $line"; done
  echo "}"
}
nginx_stream_conf "$TMP/nginx" auto \
  "server { listen 127.0.0.1:$P_NGX_HTTP; proxy_pass http_backends; }" \
  "server { listen 127.0.0.1:$P_NGX_IPERF; proxy_pass iperf_backend; }" \
  "server { listen 127.0.0.1:$P_NGX_STREAM; proxy_pass stream_backend; }" >"$TMP/nginx/nginx.conf"
# The idle step passes one pid to the generator; nginx spreads connections over its workers, so the
# idle figure comes from a separate single-worker instance (per-connection memory does not depend on
# the number of workers).
nginx_stream_conf "$TMP/nginx-idle" 1 \
  "server { listen 127.0.0.1:$P_NGX_IDLE; proxy_pass http_backends; }" >"$TMP/nginx-idle/nginx.conf"

haproxy_cfg_head "$NPROC" "$HAP_MAXCONN" >"$TMP/haproxy.cfg"
cat >>"$TMP/haproxy.cfg" <<EOF
frontend http_in
    bind 127.0.0.1:$P_HAP_HTTP
    default_backend http_backends

backend http_backends
    balance leastconn
    server a 127.0.0.1:$P_BACKEND_A
    server b 127.0.0.1:$P_BACKEND_B

frontend iperf_in
    bind 127.0.0.1:$P_HAP_IPERF
    default_backend iperf_backend

backend iperf_backend
    balance leastconn
    server iperf 127.0.0.1:$P_IPERF

frontend stream_in
    bind 127.0.0.1:$P_HAP_STREAM
    default_backend stream_backend

backend stream_backend
    balance leastconn
    server stream 127.0.0.1:$P_STREAM
EOF

cat >"$TMP/l4balancer.toml" <<EOF
[global]
connect_timeout = "5s"
idle_timeout = "30m"
drain_timeout = "0s"
access_log = $L4B_ACCESS_LOG
transport = "$L4B_TRANSPORT"

[[listener]]
name = "http"
bind = "127.0.0.1:$P_L4B_HTTP"
route = "port"
tenant = "http"

[[listener]]
name = "iperf"
bind = "127.0.0.1:$P_L4B_IPERF"
route = "port"
tenant = "iperf"

[[listener]]
name = "stream"
bind = "127.0.0.1:$P_L4B_STREAM"
route = "port"
tenant = "stream"

[[tenant]]
name = "http"
balance = "least_connections"

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND_A"

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND_B"

[[tenant]]
name = "iperf"
balance = "least_connections"

[[tenant.backend]]
address = "127.0.0.1:$P_IPERF"

[[tenant]]
name = "stream"
balance = "least_connections"

[[tenant.backend]]
address = "127.0.0.1:$P_STREAM"
EOF

# ---------------------------------------------------------------- build, start

if [[ -z $L4B_BIN ]]; then
  say "publishing L4Balancer (Release) into $TMP/l4b"
  dotnet publish src/L4Balancer -c Release -o "$TMP/l4b" -v quiet -nologo >"$TMP/publish.out" 2>&1 ||
    { cat "$TMP/publish.out" >&2; die "dotnet publish failed"; }
  L4B_BIN=$TMP/l4b/l4balancer
fi
[[ -x $L4B_BIN ]] || die "L4B_BIN=$L4B_BIN is not executable"
"$L4B_BIN" check --config "$TMP/l4balancer.toml" >"$TMP/l4b-check.out" 2>&1 ||
  { cat "$TMP/l4b-check.out" >&2; die "l4balancer rejected the generated config"; }

HAVE_LOADTEST=0
[[ -d $LOADTEST_DIR ]] && HAVE_LOADTEST=1
if ((HAVE_LOADTEST)) && compgen -G "$LOADTEST_DIR/*.csproj" >/dev/null; then
  say "building $LOADTEST_DIR (Release) so that no build runs inside a measurement"
  dotnet build "$LOADTEST_DIR" -c Release -v quiet -nologo >"$TMP/loadtest-build.out" 2>&1 ||
    { cat "$TMP/loadtest-build.out" >&2; die "building $LOADTEST_DIR failed"; }
fi
# The stream backend runs the built dll itself, not through $LOADTEST: `dotnet run` would put a
# second process between the pid we stop and the server (and between the pid we measure and it).
LOADTEST_DLL=""
if ((HAVE_LOADTEST)) && step_on stream; then
  LOADTEST_DLL=$(compgen -G "$LOADTEST_DIR/bin/Release/net*/L4Balancer.LoadTest.dll" | head -n1 || true)
  [[ -n $LOADTEST_DLL ]] || die "stream step: no $LOADTEST_DIR/bin/Release/net*/L4Balancer.LoadTest.dll after the build"
fi

say "starting backends, L4Balancer, HAProxy, nginx stream (temp dir $TMP)"
nginx -t -q -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log" ||
  die "backend nginx config rejected"
nginx -t -q -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" ||
  die "nginx stream config rejected"
haproxy -c -q -f "$TMP/haproxy.cfg" || die "haproxy config rejected"

start backend nginx -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log"
start iperf3 iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
wait_listen backend "$P_BACKEND_A" "$P_BACKEND_B"
wait_listen iperf3 "$P_IPERF"
if [[ -n $LOADTEST_DLL ]]; then
  # Streams of STREAM_SECONDS; it runs until the script stops it (SIGTERM: it prints its own CPU to $TMP/stream-backend.out).
  start stream-backend dotnet "$LOADTEST_DLL" serve --listen "127.0.0.1:$P_STREAM" --kind stream --duration 24h \
    --chunk-bytes "$STREAM_CHUNK_BYTES" --chunk-interval "${STREAM_CHUNK_MS}ms" --stream-duration "${STREAM_SECONDS}s"
  wait_listen stream-backend "$P_STREAM"
fi
start l4balancer sh -c 'exec "$0" run --config "$1" >"$2" 2>&1' "$L4B_BIN" "$TMP/l4balancer.toml" "$L4B_LOG"
start haproxy haproxy -db -f "$TMP/haproxy.cfg"
start nginx nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
wait_listen l4balancer "$P_L4B_HTTP" "$P_L4B_IPERF" "$P_L4B_STREAM"
wait_listen haproxy "$P_HAP_HTTP" "$P_HAP_IPERF" "$P_HAP_STREAM"
wait_listen nginx "$P_NGX_HTTP" "$P_NGX_IPERF" "$P_NGX_STREAM"

# The process whose CPU is charged to a target ("direct" has no proxy).
declare -A PROXY_PID=([l4balancer]=${PID[l4balancer]} [haproxy]=${PID[haproxy]} [nginx]=${PID[nginx]})

# one HTTP/1.0 request through bash's /dev/tcp (no curl needed); prints the whole response
http_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3 && cat <&3' "$1"
}
for t in "${TARGETS[@]}"; do
  body=$(http_get "${HTTP_PORT[$t]}" 2>&1) || die "$t does not answer on port ${HTTP_PORT[$t]}: $body"
  [[ $body == *"200 OK"* && $body == *ok* ]] || die "$t answered '$body' on port ${HTTP_PORT[$t]}"
done
say "all four targets answer"

# ---------------------------------------------------------------- results
declare -A R=()          # R[metric|target] = value
METRICS=()               # row order
declare -A LABEL=() KIND=()   # KIND: num (ratios shown) or count (no ratios)
metric() { METRICS+=("$1"); LABEL[$1]=$2; KIND[$1]=${3:-num}; }
metric_step() {  # the STEPS word a metric belongs to, from its prefix
  case $1 in ka_*) echo ka ;; cl_*) echo close ;; ip_*) echo iperf ;; rr_*) echo rr ;; idle_*) echo idle ;; st_*) echo stream ;; esac
}
metric ka_rps      "keep-alive: requests/s (wrk, ${WRK_CONNECTIONS} conns) ↑"
metric ka_p50      "keep-alive: latency p50, ms ↓"
metric ka_p99      "keep-alive: latency p99, ms ↓"
metric ka_cpu      "keep-alive: proxy CPU per request, µs ↓"
metric ka_err      "keep-alive: errors (socket + non-2xx)" count
metric cl_rps      "new connections/s (wrk, Connection: close) ↑"
metric cl_p50      "close: latency p50, ms ↓"
metric cl_p99      "close: latency p99, ms ↓"
metric cl_cpu      "close: proxy CPU per connection, µs ↓"
metric cl_err      "close: errors (socket + non-2xx)" count
metric ip_gbps     "iperf3: 1 stream, Gbit/s ↑"
metric ip_cpu      "iperf3: proxy CPU per GB, ms ↓"
metric rr_p50      "rr (LoadTest): p50, ms ↓"
metric rr_p99      "rr (LoadTest): p99, ms ↓"
metric rr_p999     "rr (LoadTest): p99.9, ms ↓"
metric idle_rss    "idle (LoadTest): proxy RSS per idle connection, bytes ↓"
metric st_p50      "stream (LoadTest, $STREAM_CONNECTIONS conns, ${STREAM_CHUNK_BYTES} B every ${STREAM_CHUNK_MS} ms): chunk delay p50, ms ↓"
metric st_p99      "stream: chunk delay p99, ms ↓"
metric st_add99    "stream: added chunk p99 vs direct, ms ↓"
metric st_cpu      "stream: proxy CPU %, ↓"
metric st_chunks   "stream: chunks received / expected" count
metric st_err      "stream: errors" count
metric st_side     "stream: backend / generator CPU %" count
NOTES=()

# wrk prints 812.00us / 1.23ms / 2.01s
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "?" }'
}

# run_wrk TARGET ka|close SECONDS
run_wrk() {
  local t=$1 mode=$2 secs=$3 port=${HTTP_PORT[$1]} out before after
  local -a hdr=()
  [[ $mode == close ]] && hdr=(-H 'Connection: close')
  local -a cmd=(wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" "${hdr[@]}" --latency)
  out=$TMP/wrk-$mode-$t.txt
  if ((WARMUP_SECONDS > 0)); then
    timeout $((WARMUP_SECONDS + 30)) "${cmd[@]}" -d"${WARMUP_SECONDS}s" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  fi
  say "wrk $mode → $t: ${cmd[*]} -d${secs}s http://127.0.0.1:$port/"
  [[ -n ${PROXY_PID[$t]:-} ]] && before=$(cpu_ticks "${PROXY_PID[$t]}")
  if ! timeout $((secs + 60)) "${cmd[@]}" -d"${secs}s" "http://127.0.0.1:$port/" >"$out" 2>&1; then
    say "wrk failed against $t (output in $out)"; cat "$out" >&2
  fi
  [[ -n ${PROXY_PID[$t]:-} ]] && after=$(cpu_ticks "${PROXY_PID[$t]}")
  local p=ka; [[ $mode == close ]] && p=cl
  local rps reqs err
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  reqs=$(awk '/requests in/ {print $1}' "$out")
  R[${p}_rps|$t]=$([[ -n $rps ]] && awk -v x="$rps" 'BEGIN { printf "%.0f", x }' || echo "?")
  R[${p}_p50|$t]=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  R[${p}_p99|$t]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  err=$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
             /Non-2xx or 3xx responses:/ { n += $NF }
             END { print n + 0 }' "$out")
  R[${p}_err|$t]=$err
  if [[ -n ${PROXY_PID[$t]:-} && -n ${reqs:-} && ${reqs:-0} -gt 0 ]]; then
    R[${p}_cpu|$t]=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
  else
    R[${p}_cpu|$t]="–"
  fi
  say "  $t: ${rps:-?} req/s, p50 ${R[${p}_p50|$t]} ms, p99 ${R[${p}_p99|$t]} ms, errors $err, proxy CPU ${R[${p}_cpu|$t]} µs/req"
  sleep "$SETTLE_SECONDS"
}

run_iperf() {
  local t=$1 port=${IPERF_PORT[$1]} out before after bps bytes
  out=$TMP/iperf-$t.json
  say "iperf3 → $t: iperf3 -c 127.0.0.1 -p $port -t $IPERF_SECONDS"
  [[ -n ${PROXY_PID[$t]:-} ]] && before=$(cpu_ticks "${PROXY_PID[$t]}")
  if ! timeout $((IPERF_SECONDS + 60)) iperf3 -c 127.0.0.1 -p "$port" -t "$IPERF_SECONDS" -J >"$out" 2>&1; then
    say "iperf3 failed against $t (output in $out)"; head -c 2000 "$out" >&2; echo >&2
  fi
  [[ -n ${PROXY_PID[$t]:-} ]] && after=$(cpu_ticks "${PROXY_PID[$t]}")
  bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null || true)
  bytes=$(jq -r '.end.sum_received.bytes // empty' "$out" 2>/dev/null || true)
  R[ip_gbps|$t]=$([[ -n $bps ]] && awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }' || echo "?")
  if [[ -n ${PROXY_PID[$t]:-} && -n $bytes ]]; then
    R[ip_cpu|$t]=$(awk -v d=$((after - before)) -v hz="$CLK_TCK" -v b="$bytes" 'BEGIN { printf "%.1f", d / hz * 1000 / (b / 1e9) }')
  else
    R[ip_cpu|$t]="–"
  fi
  say "  $t: ${R[ip_gbps|$t]} Gbit/s, proxy CPU ${R[ip_cpu|$t]} ms/GB"
  sleep "$SETTLE_SECONDS"
}

# A number from the generator's JSON: the first key (at any depth) matching REGEX (case-insensitive);
# a key ending in us/ns/s (rather than ms) is converted to milliseconds when WANT=ms.
json_pick() {
  local file=$1 regex=$2 want=${3:-raw}
  jq -r --arg re "$regex" --arg want "$want" '
    [ paths(numbers) as $p | { k: ($p[-1] | tostring), v: getpath($p) } | select(.k | test($re; "i")) ]
    | first // empty
    | if $want != "ms" then .v
      elif (.k | test("(_|[a-z])(us|micros|microseconds)$"; "i")) then .v / 1000
      elif (.k | test("(_|[a-z])(ns|nanos|nanoseconds)$"; "i")) then .v / 1e6
      elif (.k | test("(_|[a-z])(ms|millis|milliseconds)$"; "i")) then .v
      elif (.k | test("(_|[a-z])(s|seconds|sec)$"; "i")) then .v * 1000
      else .v end' "$file" 2>/dev/null | head -n1
}

run_rr() {
  local t=$1 rate=$2 port=${HTTP_PORT[$1]} out=$TMP/rr-$1.json
  local -a cmd
  read -r -a cmd <<<"$LOADTEST"
  cmd+=(rr --target "127.0.0.1:$port" --connections "$RR_CONNECTIONS" --rate "$rate" --duration "${RR_SECONDS}s" --json "$out")
  say "rr → $t: ${cmd[*]}"
  if timeout $((RR_SECONDS + 120)) "${cmd[@]}" >"$TMP/rr-$t.out" 2>&1 && [[ -s $out ]]; then
    local v
    for k in p50 p99 p999; do
      case $k in
        p50) v=$(json_pick "$out" '^(latency_?)?p50(_?[a-z]+)?$' ms) ;;
        p99) v=$(json_pick "$out" '^(latency_?)?p99(_?[a-z]+)?$' ms) ;;
        p999) v=$(json_pick "$out" '^(latency_?)?p99([._]?9)(_?[a-z]+)?$' ms) ;;
      esac
      R[rr_$k|$t]=$([[ -n $v ]] && awk -v x="$v" 'BEGIN { printf "%.3f", x }' || echo "?")
    done
  else
    say "rr failed against $t (output in $TMP/rr-$t.out)"; tail -n 20 "$TMP/rr-$t.out" >&2
    R[rr_p50|$t]=failed; R[rr_p99|$t]=failed; R[rr_p999|$t]=failed
  fi
  say "  $t: p50 ${R[rr_p50|$t]} ms, p99 ${R[rr_p99|$t]} ms, p99.9 ${R[rr_p999|$t]} ms"
  sleep "$SETTLE_SECONDS"
}

run_idle() {
  local t=$1 port=$2 pid=$3 out=$TMP/idle-$1.json v
  local -a cmd
  read -r -a cmd <<<"$LOADTEST"
  cmd+=(idle --target "127.0.0.1:$port" --connections "$IDLE_CONNECTIONS" --pid "$pid" --json "$out")
  say "idle → $t: ${cmd[*]}"
  if timeout 300 "${cmd[@]}" >"$TMP/idle-$t.out" 2>&1 && [[ -s $out ]]; then
    v=$(json_pick "$out" '(bytes_?per_?(idle_?)?conn(ection)?|per_?(idle_?)?conn(ection)?(_?bytes)?)$')
    R[idle_rss|$t]=$([[ -n $v ]] && awk -v x="$v" 'BEGIN { printf "%.0f", x }' || echo "?")
  else
    say "idle failed against $t (output in $TMP/idle-$t.out)"; tail -n 20 "$TMP/idle-$t.out" >&2
    R[idle_rss|$t]=failed
  fi
  say "  $t: ${R[idle_rss|$t]} bytes per idle connection"
  sleep "$SETTLE_SECONDS"
}

# run_stream TARGET: the stream load through TARGET; the proxy's CPU is measured by the generator
# itself over its window (--pid), the backend's here over the generator's whole run.
run_stream() {
  local t=$1 port=${STREAM_PORT[$1]} out=$TMP/stream-$1.json pid="" b0 b1 w0 w1 v
  [[ $t != direct ]] && pid=${PID[$t]}   # PID, not PROXY_PID: the idle step restarts the proxies
  local -a cmd
  read -r -a cmd <<<"$LOADTEST"
  cmd+=(stream --target "127.0.0.1:$port" --connections "$STREAM_CONNECTIONS" --warmup "${STREAM_RAMP_SECONDS}s"
    --duration "$((STREAM_SECONDS - STREAM_RAMP_SECONDS))s" --grace "$((STREAM_RAMP_SECONDS + 5))s" --timeout 5s --json "$out")
  [[ -n $pid ]] && cmd+=(--pid "$pid")
  if ((WARMUP_SECONDS > 0)); then
    # Unmeasured, as before each wrk run: up to 200 streams for WARMUP_SECONDS, cut at its end (JIT, pools).
    local -a warm
    read -r -a warm <<<"$LOADTEST"
    warm+=(stream --target "127.0.0.1:$port" --connections $((STREAM_CONNECTIONS < 200 ? STREAM_CONNECTIONS : 200))
      --warmup 0s --duration "${WARMUP_SECONDS}s" --grace 1s --quiet)
    timeout $((WARMUP_SECONDS + 60)) "${warm[@]}" >/dev/null 2>&1 || true
    sleep 1
  fi
  say "stream → $t: ${cmd[*]}"
  b0=$(cpu_ticks "${PID[stream-backend]}"); w0=$(date +%s.%N)
  if timeout $((STREAM_SECONDS + STREAM_RAMP_SECONDS + 120)) "${cmd[@]}" >"$TMP/stream-$t.out" 2>&1 && [[ -s $out ]]; then
    b1=$(cpu_ticks "${PID[stream-backend]}"); w1=$(date +%s.%N)
    R[st_p50|$t]=$(jq -r '.stream.chunk_delay.p50_us / 1000' "$out")
    R[st_p99|$t]=$(jq -r '.stream.chunk_delay.p99_us / 1000' "$out")
    v=$(jq -r '.stream.proxy_cpu_percent // empty' "$out")
    R[st_cpu|$t]=${v:-–}
    R[st_chunks|$t]=$(jq -r '"\(.stream.chunks_received) / \(.stream.chunks_expected)"' "$out")
    R[st_err|$t]=$(jq -r '.stream.errors.total + .stream.errors.warmup' "$out")
    R[st_side|$t]=$(awk -v d=$((b1 - b0)) -v hz="$CLK_TCK" -v w0="$w0" -v w1="$w1" -v g="$(jq -r '.generator.cpu_cores' "$out")" \
      'BEGIN { printf "%.0f / %.0f", d / hz / (w1 - w0) * 100, g * 100 }')
  else
    say "stream failed against $t (output in $TMP/stream-$t.out)"; tail -n 20 "$TMP/stream-$t.out" >&2
    for m in st_p50 st_p99 st_cpu st_chunks st_err st_side; do R[$m|$t]=failed; done
  fi
  if [[ $t == direct ]]; then
    R[st_add99|$t]="–"
  else
    R[st_add99|$t]=$(awk -v a="${R[st_p99|$t]}" -v d="${R[st_p99|direct]:-}" 'BEGIN {
      if (a ~ /^[0-9.]+$/ && d ~ /^[0-9.]+$/) printf "%.3f", a - d; else printf "?" }')
  fi
  say "  $t: chunk delay p50 ${R[st_p50|$t]} ms, p99 ${R[st_p99|$t]} ms (added ${R[st_add99|$t]}), proxy CPU ${R[st_cpu|$t]} %, chunks ${R[st_chunks|$t]}, errors ${R[st_err|$t]}, backend/generator CPU ${R[st_side|$t]} %"
  sleep "$SETTLE_SECONDS"
}

# The stream backend prints its totals when it stops (SIGTERM): its send lag (send − due) says
# whether it kept its schedule, its CPU what it took from the machine. Stopped here, after the
# stream step, so they make it into the report; the EXIT trap then has nothing left to stop.
stop_stream_backend() {
  local pid=${PID[stream-backend]} name keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  for name in "${STARTED[@]}"; do [[ $name == stream-backend ]] || keep+=("$name"); done
  STARTED=("${keep[@]}")
  NOTES+=("stream backend, all four targets and their warm-ups together: $(grep -E '^(send lag|cpu:)' "$TMP/stream-backend.out" | tr '\n' ';' | sed 's/;$//; s/;/; /g')")
}

# ---------------------------------------------------------------- the runs
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU ticks used so far by every process that is neither this script nor one of its descendants
# (nor a kernel thread): utime+stime+cutime+cstime, so processes that start and exit during the run
# are counted through the parent that reaps them. Its growth over the run is what something else on
# the machine used. Steal time comes from /proc/stat.
other_ticks() {
  # A process that exits between the glob and cat makes cat fail; under pipefail that would end the script.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v me=$$ '
    {
      pid = $1; match($0, /.*\)/); split(substr($0, RLENGTH + 2), f, " ")
      if (int(f[7] / 2097152) % 2) next            # PF_KTHREAD
      ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15]
    }
    END {
      mine[me] = 1
      do { changed = 0
        for (p in ppid) if (!(p in mine) && (ppid[p] in mine)) { mine[p] = 1; changed = 1 }
      } while (changed)
      for (p in t) if (!(p in mine)) total += t[p]
      printf "%d\n", total
    }'
}
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
LOAD_BEFORE=$(loadavg)
# Is something else using the CPUs right now? (the load average lags by minutes; sample 3 s instead)
b1=$(busy_ticks); sleep 3; b2=$(busy_ticks)
BUSY_PCT=$(awk -v d=$((b2 - b1)) -v hz="$CLK_TCK" -v n="$NPROC" 'BEGIN { printf "%.0f", d / hz / (3 * n) * 100 }')
((BUSY_PCT < 10)) ||
  say "warning: the CPUs were ${BUSY_PCT} % busy just before the runs: something else is running, results will be noisy"
START_EPOCH=$(date +%s)
OTHER_BEFORE=$(other_ticks)
STEAL_BEFORE=$(steal_ticks)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')

if step_on ka; then for t in "${TARGETS[@]}"; do run_wrk "$t" ka "$WRK_SECONDS"; done; fi
if step_on close; then for t in "${TARGETS[@]}"; do run_wrk "$t" close "$CLOSE_SECONDS"; done; fi
if step_on iperf; then for t in "${TARGETS[@]}"; do run_iperf "$t"; done; fi

SKIP_MSG="skipped: $LOADTEST_DIR not present"
if ((HAVE_LOADTEST)); then
 if step_on rr; then
  RR_RATE=$(awk -v r="${R[ka_rps|haproxy]:-}" -v p="$RR_PERCENT" 'BEGIN { if (r + 0 > 0) printf "%d", r * p / 100 }')
  if [[ -n $RR_RATE && $RR_RATE -gt 0 ]]; then
    LABEL[rr_p50]="rr (LoadTest, $RR_CONNECTIONS conns, $RR_RATE req/s = ${RR_PERCENT} % of HAProxy max): p50, ms ↓"
    for t in "${TARGETS[@]}"; do run_rr "$t" "$RR_RATE"; done
  else
    say "rr skipped: no HAProxy keep-alive rate to take ${RR_PERCENT} % of"
    for t in "${TARGETS[@]}"; do R[rr_p50|$t]=skipped; R[rr_p99|$t]=skipped; R[rr_p999|$t]=skipped; done
    NOTES+=("rr skipped: HAProxy's keep-alive rate was not measured")
  fi
 fi

 if step_on idle; then
  # Idle memory is measured on fresh processes: after the loads above, a proxy's heap and pools have
  # grown and absorb new connections for free (L4Balancer measured 1.7 KB per connection that way
  # against 7+ KB fresh), which says more about the previous step than about idle connections. Each
  # proxy is restarted, warmed with a second of rr (so code loaded by the first requests is not
  # charged to the connections), and then measured.
  restart l4balancer sh -c 'exec "$0" run --config "$1" >"$2" 2>&1' "$L4B_BIN" "$TMP/l4balancer.toml" "$L4B_LOG"
  restart haproxy haproxy -db -f "$TMP/haproxy.cfg"
  start nginx-idle nginx -p "$TMP/nginx-idle/" -c "$TMP/nginx-idle/nginx.conf" -e "$TMP/nginx-idle/error.log"
  wait_listen l4balancer "$P_L4B_HTTP"
  wait_listen haproxy "$P_HAP_HTTP"
  wait_listen nginx-idle "$P_NGX_IDLE"
  NGX_IDLE_WORKER=$(pgrep -P "${PID[nginx-idle]}" | head -n1)
  for port in "$P_L4B_HTTP" "$P_HAP_HTTP" "$P_NGX_IDLE"; do
    $LOADTEST rr --target "127.0.0.1:$port" --connections 8 --rate 2000 --duration 1s --warmup 0s --quiet >/dev/null 2>&1 ||
      say "warm-up of :$port failed"
  done
  R[idle_rss|direct]="n/a"
  run_idle l4balancer "$P_L4B_HTTP" "${PID[l4balancer]}"
  run_idle haproxy "$P_HAP_HTTP" "${PID[haproxy]}"
  run_idle nginx "$P_NGX_IDLE" "$NGX_IDLE_WORKER"
  NOTES+=("idle: RSS of the one proxy process, freshly started and warmed with 1 s of rr (HAProxy and L4Balancer are one process each; nginx is measured on a separate single-worker instance on port $P_NGX_IDLE). direct: n/a, there is no proxy.")
 fi

 if step_on stream; then
  # The idle step restarts L4Balancer and HAProxy: their stream listeners must be back before we load them.
  wait_listen l4balancer "$P_L4B_STREAM"
  wait_listen haproxy "$P_HAP_STREAM"
  for t in "${TARGETS[@]}"; do run_stream "$t"; done
  NOTES+=("stream: $STREAM_CONNECTIONS connections, requests spread over ${STREAM_RAMP_SECONDS} s; each stream a ${STREAM_CHUNK_BYTES}-byte chunk every ${STREAM_CHUNK_MS} ms for ${STREAM_SECONDS} s from \`L4Balancer.LoadTest serve --kind stream\` (one process for all targets). Chunk delay = the client's receive time − the send time the backend stamped in the chunk (both CLOCK_MONOTONIC on this machine), chunks received between ${STREAM_RAMP_SECONDS} s and ${STREAM_SECONDS} s, when every stream is open. Proxy CPU % = user+system of the proxy process (nginx: master and workers) over that window ÷ its length × 100 (100 = one core). Backend CPU % is over the whole client run (ramp and stream ends included); generator CPU % over the window.")
  stop_stream_backend
 fi
else
  say "$SKIP_MSG (rr, idle and stream rows)"
  for m in rr_p50 rr_p99 rr_p999 idle_rss st_p50 st_p99 st_add99 st_cpu st_chunks st_err st_side; do
    for t in "${TARGETS[@]}"; do R[$m|$t]=skipped; done
  done
  NOTES+=("rr, idle, stream: $SKIP_MSG")
fi
ELAPSED=$(($(date +%s) - START_EPOCH))
LOAD_AFTER=$(loadavg)
OTHER_AFTER=$(other_ticks)
STEAL_AFTER=$(steal_ticks)
OTHER_PCT=$(awk -v o=$((OTHER_AFTER - OTHER_BEFORE)) -v hz="$CLK_TCK" -v t="$ELAPSED" -v n="$NPROC" \
  'BEGIN { x = o / hz / (t * n) * 100; printf "%.0f", x < 0 ? 0 : x }')
STEAL_PCT=$(awk -v s=$((STEAL_AFTER - STEAL_BEFORE)) -v hz="$CLK_TCK" -v t="$ELAPSED" -v n="$NPROC" \
  'BEGIN { printf "%.0f", s / hz / (t * n) * 100 }')
((OTHER_PCT < 5)) || say "warning: other processes used ${OTHER_PCT} % of the CPUs during the run: results are noisy"

# ---------------------------------------------------------------- report
ratio() {  # a / b to 2 places, "–" unless both are positive numbers
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "–" }'
}

cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
os=$( . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}" || true)
v_haproxy=$(haproxy -v 2>&1 | awk 'NR == 1 {print $3}')
v_nginx=$(nginx -v 2>&1 | sed 's|.*nginx/||')
v_wrk=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}' || true)
v_iperf=$(iperf3 --version 2>&1 | awk 'NR == 1 {print $2}')
v_sdk=$(dotnet --version 2>/dev/null || echo "?")
v_runtime=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}')
v_l4b=$("$L4B_BIN" --version 2>/dev/null | awk '{print $2}')
git_rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
git_dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (uncommitted changes)" || true)
env_cmd=""
for v in "${SETTINGS_VARS[@]}"; do env_cmd+="$v=${!v} "; done
# .NET runtime knobs in the environment reach L4Balancer: record them with the command
while IFS= read -r v; do env_cmd+="$v "; done < <(env | grep -E '^(DOTNET|COMPlus)_' |
  grep -vE '^DOTNET_(CLI_|NOLOGO|GENERATE_ASPNET_CERTIFICATE|SKIP_FIRST_TIME_EXPERIENCE|ROOT|HOST_PATH|INSTALL_DIR|ADD_GLOBAL_TOOLS_TO_PATH)' | sort || true)
[[ $L4B_LOG == /dev/null ]] || env_cmd+="L4B_LOG=$L4B_LOG "
[[ $L4B_ACCESS_LOG == false ]] || env_cmd+="L4B_ACCESS_LOG=$L4B_ACCESS_LOG "
[[ $L4B_TRANSPORT == auto ]] || env_cmd+="L4B_TRANSPORT=$L4B_TRANSPORT "
[[ $STEPS == "$ALL_STEPS" ]] || env_cmd+="STEPS=\"$STEPS\" "

report() {
  echo "## compare.sh: direct vs L4Balancer vs HAProxy vs nginx stream"
  echo
  echo "- date: $STARTED_AT (the runs took ${ELAPSED} s)"
  echo "- machine: $NPROC CPUs ($cpu_model), kernel $(uname -r), ${os:-unknown OS}; load average $LOAD_BEFORE before, $LOAD_AFTER after (includes this run); other processes used ${OTHER_PCT} % of the CPUs during the runs, steal ${STEAL_PCT} %"
  echo "- versions: HAProxy $v_haproxy, nginx $v_nginx, wrk $v_wrk, iperf3 $v_iperf, .NET SDK $v_sdk (runtime $v_runtime), l4balancer $v_l4b at $git_rev$git_dirty"
  echo "- command: \`$env_cmd$INVOKED\`"
  echo "- load generator, backends and proxy all share the same $NPROC CPUs; ↑ = higher is better, ↓ = lower is better"
  echo "- HAProxy: nbthread $NPROC, leastconn; nginx: worker_processes auto, least_conn; L4Balancer: least_connections, transport $L4B_TRANSPORT; L4Balancer access_log = $L4B_ACCESS_LOG (console to $L4B_LOG); HAProxy and nginx without per-connection logging"
  echo
  echo "| metric | direct | l4balancer | haproxy | nginx | l4b/haproxy | l4b/direct |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  local m t row a
  for m in "${METRICS[@]}"; do
    step_on "$(metric_step "$m")" || continue
    row="| ${LABEL[$m]} |"
    for t in "${TARGETS[@]}"; do row+=" ${R[$m|$t]:-?} |"; done
    if [[ ${KIND[$m]} == num ]]; then
      a=${R[$m|l4balancer]:-}
      row+=" $(ratio "$a" "${R[$m|haproxy]:-}") | $(ratio "$a" "${R[$m|direct]:-}") |"
    else
      row+=" – | – |"
    fi
    echo "$row"
  done
  echo
  echo "Ratios are l4balancer ÷ the other target: above 1 is better for ↑ rows and worse for ↓ rows."
  echo "Proxy CPU is user+system time of the proxy process (nginx: master and workers) during the measured run."
  for n in "${NOTES[@]}"; do echo "- $n"; done
}

mkdir -p "$RESULTS_DIR"
RESULT_FILE=$RESULTS_DIR/compare-$(date -u +%Y%m%d-%H%M).md
report | tee "$RESULT_FILE"
say "table written to $RESULT_FILE"
