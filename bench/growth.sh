#!/usr/bin/env bash
# bench/growth.sh: what an idle proxied connection costs, in user and kernel memory, at several
# connection counts (issue 14's growth table: is the cost linear and small?).
#
# For each proxy in $GROWTH_PROXIES and each N in $GROWTH_COUNTS: a fresh proxy process, warmed with
# 1 s of rr, then `$LOADTEST idle` opens N connections through it, each passing one HTTP
# request/response (so the client and the backend leg both exist), and holds them. While they are
# held, the script records:
#   rss      process RSS (/proc/PID/smaps_rollup Rss) after − before, per connection; the generator's
#            own figure (same method, its median of 5 samples) is shown next to it
#   kernel   counted, not sampled (the machine is shared, and other work's sockets and TIME_WAITs
#            move machine-wide slab counts by thousands of objects within seconds): what the proxy
#            holds, from /proc/PID, times the slab object sizes of this kernel:
#              sockets  Δ socket descriptors × (TCP + sock_inode_cache + filp + dentry + LSM blobs),
#                       + the proxy's connected sockets × (tcp_bind_bucket + tcp_bind2_bucket)
#              epoll    Δ epoll registrations (`tfd:` lines in the fdinfo of its epoll descriptors)
#                       × (eventpoll_epi + eventpoll_pwq)
#              pipes    Δ distinct `pipe:[` descriptors × (pipefs inode + dentry + 2 files + LSM blobs
#                       + pipe_inode_info 192 B + 16 pipe_buffers 1 KiB); an empty pipe holds no pages
#              PTE      the proxy's page tables (/proc/PID/status VmPTE) after − before
#              skmem    socket buffer memory its sockets hold: `ss -tmpn` for every established socket
#                       whose owner is the proxy pid, Σ r + t + f + w + o + bl (bytes queued or
#                       reserved; rb/tb are limits and are not counted)
#   measured the cross-check: kernel memory charged to this script's memory cgroup (v1
#            memory.kmem.usage_in_bytes, v2 memory.stat `kernel`), after − before, minus the same
#            for N direct connections (generator → backend nginx, no proxy), so only this run's
#            processes count; what remains is the proxy's kernel share, everything included (also
#            kmalloc'd parts the count leaves out). Empty when the cgroup file is not readable.
#   TCP mem  /proc/net/sockstat `TCP: mem` pages (machine-wide) after − before, minus the direct Δ
# total/conn = rss/conn + kernel/conn.
#
# It installs nothing: a missing tool prints the apt-get line and the script exits 1. Every process
# it starts runs in the foreground from configs in a temp dir and is stopped by its pid. Reading
# /proc/slabinfo needs root. The machine is shared: slab and sockstat are machine-wide, so other
# work adds noise (the direct baseline is taken right before the proxy runs of the same N).
#
# Usage: bench/growth.sh            (from anywhere; settings through environment variables below)
set -euo pipefail

# ---------------------------------------------------------------- settings
GROWTH_COUNTS=${GROWTH_COUNTS:-"1000 4000 9000"}
# any of: l4b-epoll l4b-sockets haproxy nginx (nginx stream, one worker; the worker is measured)
GROWTH_PROXIES=${GROWTH_PROXIES:-"l4b-epoll l4b-sockets haproxy"}
GROWTH_DIRECT=${GROWTH_DIRECT:-1}      # 1 = measure direct connections too and subtract their kernel delta
WARMUP_SECONDS=${WARMUP_SECONDS:-1}    # rr through a fresh proxy before "before" (code paths, pools)
SETTLE_SECONDS=${SETTLE_SECONDS:-5}    # from "all N established" to the "after" sample
OPEN_TIMEOUT=${OPEN_TIMEOUT:-120}      # seconds for all N to be established
FD_LIMIT=${FD_LIMIT:-20000}            # ulimit -n for everything started here (9000 proxied = 18 000 fds)
PORT_BASE=${PORT_BASE:-19500}          # ports PORT_BASE+1 .. PORT_BASE+20 on 127.0.0.1
L4B_BIN=${L4B_BIN:-}                   # a published l4balancer; empty = dotnet publish into the temp dir
LOADTEST=${LOADTEST:-dotnet run --no-build -c Release --project bench/L4Balancer.LoadTest --}
LOADTEST_DIR=${LOADTEST_DIR:-bench/L4Balancer.LoadTest}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
RESULT_FILE=${RESULT_FILE:-}           # default $RESULTS_DIR/growth-YYYYMMDD-HHMM.md
KEEP_TMP=${KEEP_TMP:-0}                # 1 = keep the temp dir (configs, snapshots, tool outputs)

SETTINGS_VARS=(GROWTH_DIRECT WARMUP_SECONDS SETTLE_SECONDS OPEN_TIMEOUT FD_LIMIT PORT_BASE)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib/configs.sh
source "$REPO/bench/lib/configs.sh"
cd "$REPO"
INVOKED="bench/growth.sh${*:+ $*}"

say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

for v in "${SETTINGS_VARS[@]}"; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
for n in $GROWTH_COUNTS; do
  [[ $n =~ ^[0-9]+$ ]] && ((n > 0)) || die "GROWTH_COUNTS: '$n' is not a positive whole number"
  ((2 * n + 600 <= FD_LIMIT)) || die "GROWTH_COUNTS: $n connections need $((2 * n)) descriptors in the proxy; FD_LIMIT is $FD_LIMIT"
done
for p in $GROWTH_PROXIES; do
  [[ $p =~ ^(l4b-epoll|l4b-sockets|haproxy|nginx)$ ]] || die "GROWTH_PROXIES: unknown proxy '$p'"
done
[[ $# -eq 0 ]] || die "no arguments; settings are environment variables (see the top of $0)"
[[ -r /proc/slabinfo ]] || die "/proc/slabinfo is not readable (run as root)"

# ---------------------------------------------------------------- tools
APT_LINE="apt-get install -y haproxy nginx libnginx-mod-stream jq"
missing=()
for tool in haproxy nginx jq ss pgrep timeout awk dotnet; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -f $NGINX_STREAM_MODULE ]] || missing+=("nginx stream module ($NGINX_STREAM_MODULE, package libnginx-mod-stream)")
[[ -d $LOADTEST_DIR ]] || missing+=("the generator ($LOADTEST_DIR)")
if ((${#missing[@]})); then
  printf 'missing: %s\n' "${missing[@]}" >&2
  printf 'install them with:\n  %s\n  (dotnet: the .NET 10 SDK, https://dot.net)\n' "$APT_LINE" >&2
  exit 1
fi
ulimit -n "$FD_LIMIT" 2>/dev/null || die "cannot set ulimit -n $FD_LIMIT (hard limit $(ulimit -Hn))"

# ---------------------------------------------------------------- ports
P_BACKEND_A=$((PORT_BASE + 1)); P_BACKEND_B=$((PORT_BASE + 2))
declare -A PORT=([l4b-epoll]=$((PORT_BASE + 11)) [l4b-sockets]=$((PORT_BASE + 12))
  [haproxy]=$((PORT_BASE + 13)) [nginx]=$((PORT_BASE + 14)) [direct]=$P_BACKEND_A)
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in $P_BACKEND_A $P_BACKEND_B "${PORT[@]}"; do
  ! listening "$p" || die "port $p is already in use (set PORT_BASE)"
done

# ---------------------------------------------------------------- processes, cleanup
TMP=$(mktemp -d /tmp/l4b-growth.XXXXXX)
chmod 755 "$TMP"   # nginx workers run as nobody when started as root
declare -A PID=()
STARTED=()

stop() {  # stop NAME: SIGTERM, up to 10 s, then SIGKILL
  local name=$1 pid=${PID[$1]:-}
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) did not stop on SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "PID[$name]"
}
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop "${STARTED[i]}"; done
  if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then say "temp dir kept: $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {  # start NAME CMD...: CMD in the foreground mode of the tool, output to $TMP/NAME.out
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>&1 &
  PID[$name]=$!
  STARTED+=("$name")
}
wait_listen() {  # wait_listen NAME PORT: PORT listens within 30 s and NAME is alive
  local name=$1 p=$2
  for _ in $(seq 300); do
    listening "$p" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || { cat "$TMP/$name.out" >&2; die "$name exited during start-up"; }
    sleep 0.1
  done
  cat "$TMP/$name.out" >&2; die "$name is not listening on $p after 30 s"
}

# ---------------------------------------------------------------- configs
NPROC=$(nproc)
HAP_MAXCONN=$(((FD_LIMIT - 200) / 2))
WORKER_CONNECTIONS=$((FD_LIMIT - 100))
mkdir -p "$TMP/backend" "$TMP/nginx"
backend_nginx_conf "$TMP/backend" "$FD_LIMIT" "$WORKER_CONNECTIONS" "$P_BACKEND_A" "$P_BACKEND_B" >"$TMP/backend/nginx.conf"
cat >"$TMP/nginx/nginx.conf" <<EOF
load_module $NGINX_STREAM_MODULE;
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile $FD_LIMIT;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections $WORKER_CONNECTIONS; }
stream {
    proxy_connect_timeout 5s;
    proxy_timeout 30m;
    upstream http_backends { least_conn; server 127.0.0.1:$P_BACKEND_A; server 127.0.0.1:$P_BACKEND_B; }
    server { listen 127.0.0.1:${PORT[nginx]}; proxy_pass http_backends; }
}
EOF
haproxy_cfg_head "$NPROC" "$HAP_MAXCONN" >"$TMP/haproxy.cfg"
cat >>"$TMP/haproxy.cfg" <<EOF
frontend http_in
    bind 127.0.0.1:${PORT[haproxy]}
    default_backend http_backends

backend http_backends
    balance leastconn
    server a 127.0.0.1:$P_BACKEND_A
    server b 127.0.0.1:$P_BACKEND_B
EOF
for transport in epoll sockets; do
  cat >"$TMP/l4b-$transport.toml" <<EOF
[global]
connect_timeout = "5s"
idle_timeout = "30m"
drain_timeout = "0s"
access_log = false
transport = "$transport"

[[listener]]
name = "http"
bind = "127.0.0.1:${PORT[l4b-$transport]}"
route = "port"
tenant = "http"

[[tenant]]
name = "http"
balance = "least_connections"

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND_A"

[[tenant.backend]]
address = "127.0.0.1:$P_BACKEND_B"
EOF
done

# ---------------------------------------------------------------- build
NEED_L4B=0
[[ " $GROWTH_PROXIES " == *" l4b-"* ]] && NEED_L4B=1
if ((NEED_L4B)) && [[ -z $L4B_BIN ]]; then
  say "publishing L4Balancer (Release) into $TMP/l4b"
  dotnet publish src/L4Balancer -c Release -o "$TMP/l4b" -v quiet -nologo >"$TMP/publish.out" 2>&1 ||
    { cat "$TMP/publish.out" >&2; die "dotnet publish failed"; }
  L4B_BIN=$TMP/l4b/l4balancer
fi
if ((NEED_L4B)); then
  [[ -x $L4B_BIN ]] || die "L4B_BIN=$L4B_BIN is not executable"
  for transport in epoll sockets; do
    "$L4B_BIN" check --config "$TMP/l4b-$transport.toml" >"$TMP/l4b-check.out" 2>&1 ||
      { cat "$TMP/l4b-check.out" >&2; die "l4balancer rejected the generated config ($transport)"; }
  done
fi
say "building $LOADTEST_DIR (Release)"
dotnet build "$LOADTEST_DIR" -c Release -v quiet -nologo >"$TMP/loadtest-build.out" 2>&1 ||
  { cat "$TMP/loadtest-build.out" >&2; die "building $LOADTEST_DIR failed"; }
nginx -t -q -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log" || die "backend nginx config rejected"
nginx -t -q -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" || die "nginx stream config rejected"
haproxy -c -q -f "$TMP/haproxy.cfg" || die "haproxy config rejected"

start backend nginx -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e "$TMP/backend/error.log"
wait_listen backend "$P_BACKEND_A"
wait_listen backend "$P_BACKEND_B"

# start_proxy NAME: a fresh process; sets MEASURED_PID (the process that holds the connections)
start_proxy() {
  local name=$1
  case $name in
    l4b-epoll | l4b-sockets)
      start "$name" "$L4B_BIN" run --config "$TMP/$name.toml"
      wait_listen "$name" "${PORT[$name]}"
      MEASURED_PID=${PID[$name]} ;;
    haproxy)
      start haproxy haproxy -db -f "$TMP/haproxy.cfg"
      wait_listen haproxy "${PORT[haproxy]}"
      MEASURED_PID=${PID[haproxy]} ;;
    nginx)
      start nginx nginx -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
      wait_listen nginx "${PORT[nginx]}"
      MEASURED_PID=""
      for _ in $(seq 50); do MEASURED_PID=$(pgrep -P "${PID[nginx]}" | head -n1 || true); [[ -n $MEASURED_PID ]] && break; sleep 0.1; done
      [[ -n $MEASURED_PID ]] || die "nginx stream has no worker" ;;
  esac
}

# ---------------------------------------------------------------- measuring
rss_bytes() { awk '/^Rss:/ { print $2 * 1024; exit }' "/proc/$1/smaps_rollup"; }
pte_bytes() { awk '/^VmPTE:/ { print $2 * 1024; exit }' "/proc/$1/status"; }
tcp_mem_pages() { awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }
established() { ss -Htn state established "sport = :$1" | wc -l; }
# census PID: "sockets pipes epoll_registrations" held by the process (socket descriptors, distinct
# pipes, and the `tfd:` lines of its epoll descriptors' fdinfo: one per registered descriptor)
census() {
  local pid=$1 sp ep
  sp=$(find "/proc/$pid/fd" -mindepth 1 -printf '%l\n' 2>/dev/null |
    awk '/^socket:/ { s++ } /^pipe:/ { p[$0] = 1 } END { n = 0; for (k in p) n++; print s + 0, n }')
  ep=$(for fd in $(find "/proc/$pid/fd" -mindepth 1 -lname 'anon_inode:?eventpoll?' -printf '%f\n' 2>/dev/null); do
    grep -c '^tfd:' "/proc/$pid/fdinfo/$fd" 2>/dev/null || true
  done | awk '{ s += $1 } END { print s + 0 }')
  echo "$sp $ep"
}
# kernel memory charged to this script's memory cgroup (bytes), or nothing
KMEM_FILE="" KMEM_KEY=""
cg1=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
cg2=$(awk -F: '$1 == "0" && $2 == "" { print $3 }' /proc/self/cgroup)
if [[ -n $cg1 && -r /sys/fs/cgroup/memory$cg1/memory.kmem.usage_in_bytes ]]; then
  KMEM_FILE=/sys/fs/cgroup/memory$cg1/memory.kmem.usage_in_bytes
elif [[ -n $cg2 && -r /sys/fs/cgroup$cg2/memory.stat ]] && grep -q '^kernel ' "/sys/fs/cgroup$cg2/memory.stat"; then
  KMEM_FILE=/sys/fs/cgroup$cg2/memory.stat KMEM_KEY=kernel
fi
kmem_bytes() {
  [[ -n $KMEM_FILE ]] || return 0
  if [[ -n $KMEM_KEY ]]; then awk -v k="$KMEM_KEY" '$1 == k { print $2 }' "$KMEM_FILE"; else cat "$KMEM_FILE"; fi
}
# snapshot FILE PID: the census (before the slab read, so that its /proc dentries are not in the
# window), slabinfo lines "slab name active objsize", TCP mem pages, RSS and page tables
snapshot() {
  local f=$1 pid=$2
  : >"$f"
  [[ -n $pid ]] && echo "census $(census "$pid")" >>"$f"
  awk 'NR > 2 { print "slab", $1, $2, $4 }' /proc/slabinfo >>"$f"
  echo "tcpmem $(tcp_mem_pages)" >>"$f"
  echo "kmem $(kmem_bytes)" >>"$f"
  if [[ -n $pid ]]; then
    echo "rss $(rss_bytes "$pid")" >>"$f"
    echo "pte $(pte_bytes "$pid")" >>"$f"
  fi
}
snap_val() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
census_val() { awk -v i="$2" '$1 == "census" { print $(i + 1) }' "$1"; }

# Object sizes (bytes per object in its slab, /sys/kernel/slab/NAME/slab_size, else slabinfo).
objsize() {
  local c=$1 v=""
  [[ -r /sys/kernel/slab/$c/slab_size ]] && v=$(cat "/sys/kernel/slab/$c/slab_size")
  [[ -n $v ]] || v=$(awk -v c="$c" '$1 == c { print $4 }' /proc/slabinfo)
  echo "${v:-0}"
}
# A socket descriptor: the tcp_sock, its socket inode, its file and dentry, their LSM blobs.
SOCK_OBJS=(TCP sock_inode_cache filp dentry lsm_inode_cache lsm_file_cache)
# An epoll registration: the epitem and its wait-queue entry (one wait queue per socket).
EPOLL_OBJS=(eventpoll_epi eventpoll_pwq)
# A connect()ed socket's local port: a bind bucket and a bind2 bucket.
PORT_OBJS=(tcp_bind_bucket tcp_bind2_bucket)
# A pipe: its pipefs inode, dentry, two files and their LSM blobs (kmalloc parts added below).
PIPE_OBJS=(inode_cache dentry filp filp lsm_inode_cache lsm_file_cache lsm_file_cache)
sum_sizes() { local t=0 c; for c in "$@"; do t=$((t + $(objsize "$c"))); done; echo "$t"; }
SOCK_BYTES=$(sum_sizes "${SOCK_OBJS[@]}")
EPOLL_BYTES=$(sum_sizes "${EPOLL_OBJS[@]}")
PORT_BYTES=$(sum_sizes "${PORT_OBJS[@]}")
# + pipe_inode_info (kmalloc-cg-192) + the pipe_buffer array (16 slots × 40 B for a 64 KiB pipe:
# kmalloc-cg-1k). An empty pipe holds no pages (spliced pages go back to the socket layer).
PIPE_BYTES=$(($(sum_sizes "${PIPE_OBJS[@]}") + 192 + 1024))
((SOCK_BYTES > 0 && EPOLL_BYTES > 0)) || die "could not read slab object sizes (/sys/kernel/slab, /proc/slabinfo)"

# The measured cross-check: Σ Δactive × objsize over the caches a socket and its file use. The
# 128-byte cache that eventpoll_epi shares (SLUB merges it with tcp_bind buckets, fib6 nodes...) and
# tw_sock/request_sock swing by thousands of objects with other work's TIME_WAITs: left out.
SLAB_RE='^(TCP|TCPv6|sock_inode_cache|filp|dentry|lsm_inode_cache|lsm_file_cache)$'
# slab_delta BEFORE AFTER OUT: per-cache "cache bytes Δobjects objsize"
slab_delta() {
  awk '
    FNR == NR && $1 == "slab" { a[$2] = $3; next }
    $1 == "slab" { d = ($3 - a[$2]); if (d != 0) printf "%s %d %d %d\n", $2, d * $4, d, $4 }' \
    "$1" "$2" | sort -k2,2nr >"$3"
}
slab_sum() { awk -v re="$SLAB_RE" '$1 ~ re { s += $2 } END { print s + 0 }' "$1"; }

declare -A DIRECT_SLAB=() DIRECT_TCPMEM=() DIRECT_KMEM=()
ROWS=()      # table rows, in run order

# run_one NAME N
run_one() {
  local name=$1 n=$2 port=${PORT[$1]} pid="" tag=$1-$2 lt_pid i e=0
  local -a lt
  read -r -a lt <<<"$LOADTEST"
  if [[ $name != direct ]]; then
    start_proxy "$name"; pid=$MEASURED_PID
    if ((WARMUP_SECONDS > 0)); then
      $LOADTEST rr --target "127.0.0.1:$port" --connections 8 --rate 2000 --duration "${WARMUP_SECONDS}s" \
        --warmup 0s --quiet >"$TMP/warmup-$tag.out" 2>&1 || say "warm-up of $name failed (output in $TMP/warmup-$tag.out)"
    fi
  fi
  sleep 2   # warm-up connections closed; RCU-freed sockets gone
  snapshot "$TMP/before-$tag" "$pid"
  local hold=$((SETTLE_SECONDS + 10))
  lt+=(idle --target "127.0.0.1:$port" --connections "$n" --timeout 5s --duration "${hold}s" --json "$TMP/idle-$tag.json")
  [[ -n $pid ]] && lt+=(--pid "$pid")
  say "$name, $n connections: ${lt[*]}"
  "${lt[@]}" >"$TMP/idle-$tag.out" 2>&1 &
  lt_pid=$!
  for ((i = 0; i < OPEN_TIMEOUT * 5; i++)); do
    e=$(established "$port")
    ((e >= n)) && break
    kill -0 "$lt_pid" 2>/dev/null || break
    sleep 0.2
  done
  if ((e < n)); then
    say "only $e of $n established through $name; skipping (output in $TMP/idle-$tag.out)"
    wait "$lt_pid" 2>/dev/null || true
    [[ $name != direct ]] && stop "$name"
    ROWS+=("| $name | $n | $e established | | | | | | | | | | | |")
    return 0
  fi
  sleep "$SETTLE_SECONDS"
  snapshot "$TMP/after-$tag" "$pid"
  local skmem=0 socks=0 out=0
  if [[ -n $pid ]]; then
    read -r socks out skmem < <(ss -tnpmOH state established | awk -v p="pid=$pid," -v a=":$P_BACKEND_A" -v b=":$P_BACKEND_B" '
      index($0, p) { n++; if ($4 ~ (a "$") || $4 ~ (b "$")) o++
        if (match($0, /skmem:\([^)]*\)/)) { s = substr($0, RSTART + 7, RLENGTH - 8)
          k = split(s, kv, ","); for (j = 1; j <= k; j++) if (kv[j] ~ /^(r|t|f|w|o|bl)[0-9]+$/) { v = kv[j]; gsub(/[a-z]/, "", v); sum += v } } }
      END { printf "%d %d %d\n", n, o, sum }')
  fi
  wait "$lt_pid" || say "the generator exited with an error against $name (output in $TMP/idle-$tag.out)"
  [[ $name != direct ]] && stop "$name"

  slab_delta "$TMP/before-$tag" "$TMP/after-$tag" "$TMP/slab-$tag"
  local slab tcpmem
  slab=$(slab_sum "$TMP/slab-$tag")
  tcpmem=$(($(snap_val "$TMP/after-$tag" tcpmem) - $(snap_val "$TMP/before-$tag" tcpmem)))
  local kmem="" k0 k1
  k0=$(snap_val "$TMP/before-$tag" kmem); k1=$(snap_val "$TMP/after-$tag" kmem)
  [[ -n $k0 && -n $k1 ]] && kmem=$((k1 - k0))
  local opened alive lt_bpc
  opened=$(jq -r '.idle.opened // empty' "$TMP/idle-$tag.json" 2>/dev/null || true)
  alive=$(jq -r '.idle.alive_at_end // empty' "$TMP/idle-$tag.json" 2>/dev/null || true)
  lt_bpc=$(jq -r '.idle.bytes_per_connection // empty' "$TMP/idle-$tag.json" 2>/dev/null || true)
  if [[ $name == direct ]]; then
    DIRECT_SLAB[$n]=$slab; DIRECT_TCPMEM[$n]=$tcpmem; DIRECT_KMEM[$n]=$kmem
    ROWS+=("$(awk -v n="$n" -v op="${opened:-?}" -v al="${alive:-?}" -v k="$kmem" -v t="$tcpmem" 'BEGIN {
      printf "| direct (baseline: generator → backend) | %d | %s/%s | – | – | | | | | | | | %s (generator + backend) | TCP mem Δ %d pages |", n, op, al, (k == "" ? "–" : sprintf("%.0f", k / n)), t }')")
    say "  direct: cgroup kmem Δ ${kmem:-?} B, socket slab Δ $slab B (machine-wide), TCP mem Δ $tcpmem pages"
  else
    local rss_d pte_d base=${DIRECT_SLAB[$n]:-} base_tcp=${DIRECT_TCPMEM[$n]:-0} base_kmem=${DIRECT_KMEM[$n]:-}
    local s0 s1 p0 p1 e0 e1
    rss_d=$(($(snap_val "$TMP/after-$tag" rss) - $(snap_val "$TMP/before-$tag" rss)))
    pte_d=$(($(snap_val "$TMP/after-$tag" pte) - $(snap_val "$TMP/before-$tag" pte)))
    s0=$(census_val "$TMP/before-$tag" 1); s1=$(census_val "$TMP/after-$tag" 1)
    p0=$(census_val "$TMP/before-$tag" 2); p1=$(census_val "$TMP/after-$tag" 2)
    e0=$(census_val "$TMP/before-$tag" 3); e1=$(census_val "$TMP/after-$tag" 3)
    ROWS+=("$(awk -v name="$name" -v n="$n" -v op="${opened:-?}" -v al="${alive:-?}" -v rss="$rss_d" -v lt="${lt_bpc:-?}" \
      -v ds=$((s1 - s0)) -v dp=$((p1 - p0)) -v de=$((e1 - e0)) -v out="$out" -v pte="$pte_d" -v sk="$skmem" \
      -v SB="$SOCK_BYTES" -v EB="$EPOLL_BYTES" -v PB="$PORT_BYTES" -v QB="$PIPE_BYTES" \
      -v km="$kmem" -v bkm="$base_kmem" -v tcp="$tcpmem" -v btcp="$base_tcp" -v p1="$p1" 'BEGIN {
        sock = (ds * SB + out * PB) / n; ep = de * EB / n; pipe = dp * QB / n
        k = sock + ep + pipe + pte / n + sk / n
        meas = (km == "" || bkm == "" ? "–" : sprintf("%.0f", (km - bkm) / n))
        printf "| %s | %d | %s/%s | %.0f | %s | %.0f | %.0f | %.0f | %.0f | %.0f | **%.0f** | **%.0f** | %s | %.2f sockets, %.2f epoll entries, %+d pipes (%d held); TCP mem Δ %+d pages vs direct |",
          name, n, op, al, rss / n, (lt == "?" ? "?" : sprintf("%.0f", lt)), sock, ep, pipe, pte / n, sk / n,
          k, rss / n + k, meas, ds / n, de / n, dp, p1, tcp - btcp }')")
    say "  $name: RSS Δ $rss_d B ($((rss_d / n)) B/conn; generator says ${lt_bpc:-?}), sockets $s0 → $s1 ($out to backends), epoll entries $e0 → $e1, pipes $p0 → $p1, PTE Δ $pte_d, skmem $skmem B over $socks sockets, cgroup kmem Δ ${kmem:-?} B (direct ${base_kmem:-?}), socket slab Δ $slab B (machine-wide; direct ${base:-?})"
  fi
  sleep 3   # the closed connections' TIME_WAITs and RCU frees settle before the next snapshot
}

# ---------------------------------------------------------------- the runs
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
START_EPOCH=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $GROWTH_COUNTS; do
  ((GROWTH_DIRECT)) && run_one direct "$n"
  for p in $GROWTH_PROXIES; do run_one "$p" "$n"; done
done
ELAPSED=$(($(date +%s) - START_EPOCH))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
os=$( . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}" || true)
v_haproxy=$(haproxy -v 2>&1 | awk 'NR == 1 {print $3}')
v_nginx=$(nginx -v 2>&1 | sed 's|.*nginx/||')
v_sdk=$(dotnet --version 2>/dev/null || echo "?")
v_runtime=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}')
v_l4b=$( ((NEED_L4B)) && "$L4B_BIN" --version 2>/dev/null | awk '{print $2}' || echo "not run")
git_rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
git_dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (uncommitted changes)" || true)
env_cmd="GROWTH_COUNTS=\"$GROWTH_COUNTS\" GROWTH_PROXIES=\"$GROWTH_PROXIES\" "
for v in "${SETTINGS_VARS[@]}"; do env_cmd+="$v=${!v} "; done

report() {
  echo "## growth.sh: memory per idle proxied connection at several counts"
  echo
  echo "- date: $STARTED_AT (the runs took ${ELAPSED} s)"
  echo "- machine: $NPROC CPUs ($cpu_model), kernel $(uname -r), ${os:-unknown OS}, $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM; load average $LOAD_BEFORE before, $LOAD_AFTER after"
  echo "- versions: HAProxy $v_haproxy, nginx $v_nginx, .NET SDK $v_sdk (runtime $v_runtime), l4balancer $v_l4b at $git_rev$git_dirty"
  echo "- command: \`$env_cmd$INVOKED\`"
  echo "- proxies: HAProxy nbthread $NPROC, maxconn $HAP_MAXCONN, mode tcp, no splice; L4Balancer transport epoll / sockets, access_log false; nginx stream 1 worker (the worker is measured); ulimit -n $FD_LIMIT; backend nginx (http, 2 workers) on two ports"
  echo "- each row: a fresh proxy, ${WARMUP_SECONDS} s of rr, then \`L4Balancer.LoadTest idle\` opens N connections (one request/response each, then idle); the after sample is taken ${SETTLE_SECONDS} s after all N are established"
  echo "- object sizes on this kernel (slab_size): socket descriptor $SOCK_BYTES B (${SOCK_OBJS[*]}), epoll entry $EPOLL_BYTES B (${EPOLL_OBJS[*]}), connected port $PORT_BYTES B (${PORT_OBJS[*]}), pipe $PIPE_BYTES B (${PIPE_OBJS[*]}, pipe_inode_info 192, 16 pipe_buffers 1024)"
  echo
  echo "All figures in bytes per connection. **RSS**: smaps_rollup Rss after − before (the generator's own figure, a median of 5 samples, next to it). **Kernel**, counted: the proxy's added socket descriptors × $SOCK_BYTES B plus its connected ports × $PORT_BYTES B (*sockets*), its added epoll registrations (\`tfd:\` lines in its epoll fdinfo) × $EPOLL_BYTES B (*epoll*), its added pipes × $PIPE_BYTES B (*pipes*), its page-table growth (*PTE*, VmPTE), and the socket memory its sockets hold (*skmem*: Σ r+t+f+w+o+bl, \`ss -tmp\`). **Measured**: kernel memory charged to this run's memory cgroup (${KMEM_FILE:-not readable here}), Δ minus the Δ of N direct connections: the proxy's whole kernel share, a cross-check of the count."
  echo
  echo "| proxy | N | opened/alive | RSS | RSS (generator) | kernel: sockets | epoll | pipes | PTE | skmem | **kernel** | **RSS + kernel** | measured kernel (cgroup) | counts per connection |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  local r
  for r in "${ROWS[@]}"; do echo "$r"; done
}

mkdir -p "$RESULTS_DIR"
RESULT_FILE=${RESULT_FILE:-$RESULTS_DIR/growth-$(date -u +%Y%m%d-%H%M).md}
report | tee "$RESULT_FILE"
say "table written to $RESULT_FILE"
